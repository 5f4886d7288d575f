module github.com/tollgate/tollgate/services/router

go 1.26.0

require (
	github.com/tollgate/tollgate/gen v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/authz v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/kit v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/quota v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/telemetry v0.0.0-00010101000000-000000000000
)

require github.com/sony/gobreaker/v2 v2.4.0 // indirect

replace (
	github.com/tollgate/tollgate/gen => ../../gen
	github.com/tollgate/tollgate/services/authz => ../authz
	github.com/tollgate/tollgate/services/kit => ../kit
	github.com/tollgate/tollgate/services/quota => ../quota
	github.com/tollgate/tollgate/services/telemetry => ../telemetry
)
