module github.com/sanbao/sanbao/services/inventory

go 1.26.8

replace github.com/sanbao/sanbao/gen => ../../gen

replace github.com/sanbao/sanbao/platform => ../../platform

require github.com/google/go-cmp v0.7.0
