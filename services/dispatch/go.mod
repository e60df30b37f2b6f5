module github.com/sanbao/sanbao/services/dispatch

go 1.26.8

replace github.com/sanbao/sanbao/gen => ../../gen

replace github.com/sanbao/sanbao/platform => ../../platform

require github.com/sanbao/sanbao/platform v0.0.0-00010101000000-000000000000
