module github.com/sanbao/sanbao/cli

go 1.26.8

replace github.com/sanbao/sanbao/gen => ../gen

replace github.com/sanbao/sanbao/platform => ../platform

replace github.com/sanbao/sanbao/services/ticket => ../services/ticket

replace github.com/sanbao/sanbao/services/warranty => ../services/warranty

replace github.com/sanbao/sanbao/services/dispatch => ../services/dispatch

replace github.com/sanbao/sanbao/services/inventory => ../services/inventory
