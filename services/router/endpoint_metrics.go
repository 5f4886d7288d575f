package router

import (
	"bytes"
	"context"

	"github.com/prometheus/common/expfmt"
	"google.golang.org/genproto/googleapis/api/httpbody"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	routerv1 "github.com/tollgate/tollgate/gen/go/tollgate/router/v1"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// GetEndpointMetrics serves one endpoint's series (those labelled with
// endpoint=<name>) in the Prometheus text format, to callers who may query it.
func (s *Service) GetEndpointMetrics(ctx context.Context, req *routerv1.GetEndpointMetricsRequest) (*routerv1.GetEndpointMetricsResponse, error) {
	c := newCall(ctx, inferencev1.Dialect_DIALECT_UNSPECIFIED)
	id, err := s.deps.Policy.Authenticate(c.token)
	if err != nil {
		return nil, err
	}
	name := req.GetName()
	if s.routes.lookup(name) == nil {
		return nil, errs.NotFound("endpoint_not_found", "endpoint %q does not exist", name)
	}
	if err := s.deps.Policy.Authorize(id, name); err != nil {
		return nil, err
	}
	if s.deps.Gatherer == nil {
		return nil, errs.New(errs.KindUnavailable, "metrics_unavailable", "metrics are not collected by this router")
	}
	families, err := s.deps.Gatherer.Gather()
	if err != nil {
		return nil, errs.New(errs.KindInternal, "internal_error", "could not gather metrics").Wrap(err)
	}
	var buf bytes.Buffer
	enc := expfmt.NewEncoder(&buf, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		kept := mf.Metric[:0:0]
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "endpoint" && l.GetValue() == name {
					kept = append(kept, m)
					break
				}
			}
		}
		if len(kept) == 0 {
			continue
		}
		mf.Metric = kept
		if err := enc.Encode(mf); err != nil {
			return nil, errs.New(errs.KindInternal, "internal_error", "could not encode metrics").Wrap(err)
		}
	}
	return &routerv1.GetEndpointMetricsResponse{Body: &httpbody.HttpBody{
		ContentType: string(expfmt.NewFormat(expfmt.TypeTextPlain)), Data: buf.Bytes()}}, nil
}
