module github.com/tollgate/tollgate/services/allinone

go 1.26

require (
	github.com/tollgate/tollgate/gen v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/authz v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/kit v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/provideradapter v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/quota v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/router v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/telemetry v0.0.0-00010101000000-000000000000
)

replace (
	github.com/tollgate/tollgate/gen => ../../gen
	github.com/tollgate/tollgate/services/authz => ../authz
	github.com/tollgate/tollgate/services/kit => ../kit
	github.com/tollgate/tollgate/services/provideradapter => ../provideradapter
	github.com/tollgate/tollgate/services/quota => ../quota
	github.com/tollgate/tollgate/services/router => ../router
	github.com/tollgate/tollgate/services/telemetry => ../telemetry
)
