module early

go 1.26.8

require (
	github.com/jeandeaual/go-locale v0.0.0-20250612000132-0ef82f21eade
	github.com/stretchr/testify v1.12.1
	golang.org/x/text v0.33.0
)

require (
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.27.0 // indirect
)
