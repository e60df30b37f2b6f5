module github.com/sanbao/sanbao/services/ticket

go 1.26.8

replace github.com/sanbao/sanbao/gen => ../../gen

replace github.com/sanbao/sanbao/platform => ../../platform
