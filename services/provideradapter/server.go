package provideradapter

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	inferencev1 "github.com/tollgate/tollgate/gen/go/tollgate/inference/v1"
	provideradapterv1 "github.com/tollgate/tollgate/gen/go/tollgate/provideradapter/v1"
	"github.com/tollgate/tollgate/services/kit/config"
	"github.com/tollgate/tollgate/services/kit/errs"
)

// Server implements ProviderAdapterService over the current config.
type Server struct {
	provideradapterv1.UnimplementedProviderAdapterServiceServer
	store   *config.Store
	log     *slog.Logger
	metrics *metrics
	client  *http.Client
	secrets *secrets

	// table is the resolved served entities of one config snapshot, rebuilt
	// when the snapshot changes; calls already running keep theirs.
	table   atomic.Pointer[entityTable]
	rebuild sync.Mutex
	// fakeCalls are the fake providers' call counters, by endpoint and
	// served entity, kept across reloads so error injection stays periodic.
	fakeCalls sync.Map // targetKey -> *atomic.Uint64
}

// targetKey names a served entity across config reloads.
type targetKey struct{ endpoint, entity string }

// entityTable is looked up on every call, by endpoint and then by served
// entity: two string-keyed maps take the runtime's string fast path (small
// ones without hashing at all), where one map keyed by a struct of two
// strings hashed the struct generically, and the endpoint's task comes with
// the same lookup.
type entityTable struct {
	snapshot  *config.Snapshot
	endpoints map[string]*endpointEntities // endpoint name -> its served entities
}

// endpointEntities is one endpoint's task and callable served entities.
type endpointEntities struct {
	task     config.Task
	entities map[string]*entity // served entity name -> entity
}

// entity is one served entity ready to call.
type entity struct {
	kind     string
	provider Provider
	metrics  entityMetrics
}

// NewServer serves the endpoints of store's current config, registering its
// metrics on reg.
func NewServer(store *config.Store, log *slog.Logger, reg prometheus.Registerer) *Server {
	return &Server{
		store:   store,
		log:     log,
		metrics: newMetrics(reg),
		client:  newHTTPClient(),
		secrets: newSecrets(),
	}
}

// Close releases idle upstream connections.
func (s *Server) Close() { s.client.CloseIdleConnections() }

// Chat runs one non-streamed chat turn.
func (s *Server) Chat(ctx context.Context, in *provideradapterv1.ChatRequest) (*provideradapterv1.ChatResponse, error) {
	e, err := s.resolve(in.GetTarget(), config.TaskChat)
	if err != nil {
		return nil, err
	}
	if in.GetRequest() == nil {
		return nil, errs.Invalid("request", "request is required")
	}
	ctx, trace := withTrace(ctx, time.Now())
	resp, err := e.provider.Chat(ctx, in.GetRequest())
	e.metrics.observe(trace, err)
	if err != nil {
		return nil, s.failed(in.GetTarget(), err)
	}
	return &provideradapterv1.ChatResponse{Response: resp, Provider: e.kind}, nil
}

// ChatStream runs one streamed chat turn, relaying chunks as they come.
func (s *Server) ChatStream(in *provideradapterv1.ChatStreamRequest, stream grpc.ServerStreamingServer[provideradapterv1.ChatStreamResponse]) error {
	e, err := s.resolve(in.GetTarget(), config.TaskChat)
	if err != nil {
		return err
	}
	if in.GetRequest() == nil {
		return errs.Invalid("request", "request is required")
	}
	ctx, trace := withTrace(stream.Context(), time.Now())
	err = e.provider.ChatStream(ctx, in.GetRequest(), func(chunks ...*inferencev1.ChatChunk) error {
		return sendBatch(stream, chunks)
	})
	e.metrics.observe(trace, err)
	if err != nil {
		return s.failed(in.GetTarget(), err)
	}
	return nil
}

// sendBatch sends the chunks that arrived together as one message. The
// message may outlive the call (an in-process transport hands it over
// as is), so it gets its own copy of the provider's reusable slice.
func sendBatch(stream grpc.ServerStreamingServer[provideradapterv1.ChatStreamResponse], chunks []*inferencev1.ChatChunk) error {
	if len(chunks) == 0 {
		return nil
	}
	m := &provideradapterv1.ChatStreamResponse{Chunk: chunks[0]}
	if len(chunks) > 1 {
		m.MoreChunks = slices.Clone(chunks[1:])
	}
	return stream.Send(m)
}

// Embed computes embeddings.
func (s *Server) Embed(ctx context.Context, in *provideradapterv1.EmbedRequest) (*provideradapterv1.EmbedResponse, error) {
	e, err := s.resolve(in.GetTarget(), config.TaskEmbeddings)
	if err != nil {
		return nil, err
	}
	if in.GetRequest() == nil {
		return nil, errs.Invalid("request", "request is required")
	}
	ctx, trace := withTrace(ctx, time.Now())
	resp, err := e.provider.Embed(ctx, in.GetRequest())
	e.metrics.observe(trace, err)
	if err != nil {
		return nil, s.failed(in.GetTarget(), err)
	}
	return &provideradapterv1.EmbedResponse{Response: resp, Provider: e.kind}, nil
}

// failed logs a provider failure (cause included, never credentials) and
// returns it typed.
func (s *Server) failed(t *provideradapterv1.Target, err error) error {
	e := errs.From(err)
	if e.Kind != errs.KindCanceled {
		s.log.Warn("provider call failed",
			"endpoint", t.GetEndpointName(), "served_entity", t.GetServedEntityName(),
			"request_id", t.GetRequestId(), "attempt", t.GetAttempt(),
			"code", e.Code, "upstream_status", e.UpstreamStatus, "err", err.Error())
	}
	return e
}

// resolve finds the target in the current config.
func (s *Server) resolve(t *provideradapterv1.Target, task config.Task) (*entity, error) {
	ep := s.currentTable().endpoints[t.GetEndpointName()]
	if ep == nil {
		return nil, errs.NotFound("endpoint_not_found", "endpoint %q does not exist", t.GetEndpointName())
	}
	e := ep.entities[t.GetServedEntityName()]
	if e == nil {
		return nil, errs.NotFound("served_entity_not_found", "endpoint %q has no served entity %q",
			t.GetEndpointName(), t.GetServedEntityName())
	}
	if ep.task != task {
		return nil, errs.Invalid("model", "endpoint %q serves %s, not %s", t.GetEndpointName(), ep.task, task)
	}
	return e, nil
}

func (s *Server) currentTable() *entityTable {
	snap := s.store.Current()
	if t := s.table.Load(); t != nil && t.snapshot == snap {
		return t
	}
	s.rebuild.Lock()
	defer s.rebuild.Unlock()
	snap = s.store.Current()
	if t := s.table.Load(); t != nil && t.snapshot == snap {
		return t
	}
	t := s.buildTable(snap)
	s.table.Store(t)
	return t
}

func (s *Server) buildTable(snap *config.Snapshot) *entityTable {
	t := &entityTable{snapshot: snap, endpoints: make(map[string]*endpointEntities, len(snap.Config.Endpoints))}
	for i := range snap.Config.Endpoints {
		ep := &snap.Config.Endpoints[i]
		entities := &endpointEntities{task: ep.Task, entities: make(map[string]*entity, len(ep.ServedEntities))}
		t.endpoints[ep.Name] = entities
		for j := range ep.ServedEntities {
			se := &ep.ServedEntities[j]
			key := targetKey{ep.Name, se.Name}
			p := guardGemini(se.Provider, s.newProvider(key, se))
			if p == nil {
				continue // config validation rejects unknown providers; nothing to call
			}
			entities.entities[se.Name] = &entity{kind: se.Provider, provider: p, metrics: s.metrics.forEntity(se.Provider, se.Model)}
		}
	}
	return t
}

func (s *Server) newProvider(key targetKey, se *config.ServedEntity) Provider {
	switch se.Provider {
	case config.ProviderFake:
		calls, _ := s.fakeCalls.LoadOrStore(key, new(atomic.Uint64))
		return newFakeProvider(se, calls.(*atomic.Uint64))
	case config.ProviderOpenAI, config.ProviderOpenAICompatible:
		if se.API == config.APIResponses {
			return newResponsesProvider(se, s.client, s.secrets)
		}
		return newOpenAIProvider(se, s.client, s.secrets)
	case config.ProviderAnthropic:
		return newAnthropicProvider(se, s.client, s.secrets)
	case config.ProviderGemini, config.ProviderVertex:
		return newGeminiProvider(se, s.client, s.secrets)
	case config.ProviderAzureOpenAI:
		return newAzureOpenAIProvider(se, s.client, s.secrets)
	case config.ProviderBedrock:
		return newBedrockProvider(se, s.client, s.secrets)
	case config.ProviderCohere:
		return newCohereProvider(se, s.client, s.secrets)
	}
	s.log.Error("served entity has an unknown provider", "endpoint", key.endpoint, "served_entity", key.entity, "provider", se.Provider)
	return nil
}
