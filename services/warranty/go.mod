module github.com/sanbao/sanbao/services/warranty

go 1.26.8

replace github.com/sanbao/sanbao/gen => ../../gen

replace github.com/sanbao/sanbao/platform => ../../platform

require (
	cel.dev/cel-go v0.32.0 // indirect
	github.com/google/go-cmp v0.7.0 // indirect
)
