module github.com/tollgate/tollgate/e2e

go 1.26
