module github.com/tollgate/tollgate/services/quota

go 1.26

require (
	github.com/tollgate/tollgate/gen v0.0.0-00010101000000-000000000000
	github.com/tollgate/tollgate/services/kit v0.0.0-00010101000000-000000000000
)

replace (
	github.com/tollgate/tollgate/gen => ../../gen
	github.com/tollgate/tollgate/services/kit => ../kit
)
