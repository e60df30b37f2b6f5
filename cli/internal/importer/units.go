package importer

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
)

// unitsKind is the sold-products register (售出产品档案), imported into the warranty service.
func unitsKind() *Kind {
	return &Kind{
		Name: "units", ZH: "售出产品档案", Service: "warranty",
		Key:    "serial",
		Update: "never: a serial registered with other data is a rejected row",
		Columns: []Column{
			{Name: "serial", ZH: "序列号", Aliases: []string{"出厂编号", "serial_number", "sn"}, Path: "serial", Required: true, Doc: "serial number, unique: A-Z a-z 0-9 . _ / -"},
			{Name: "model", ZH: "型号", Aliases: []string{"产品型号"}, Path: "model", Required: true, Doc: "product model"},
			{Name: "product_name", ZH: "产品名称", Path: "product_name", Doc: "product name"},
			{Name: "batch", ZH: "批次", Aliases: []string{"生产批次"}, Path: "batch", Doc: "production batch"},
			{Name: "policy_id", ZH: "保修政策", Aliases: []string{"政策编号", "policy"}, Path: "policy_id", Required: true, Doc: "warranty policy id"},
			{Name: "policy_version", ZH: "政策版本", Path: "policy_version", Doc: "policy version; empty means the latest"},
			{Name: "dealer_id", ZH: "经销商", Aliases: []string{"经销商编号", "dealer"}, Path: "dealer_id", Doc: "dealer that sold the unit"},
			{Name: "customer_id", ZH: "客户编号", Path: "customer.customer_id", Doc: "customer id in the CRM"},
			{Name: "customer_name", ZH: "客户名称", Aliases: []string{"客户", "用户名称"}, Path: "customer.contact.name", Doc: "customer name or organisation (personal data)"},
			{Name: "phone", ZH: "电话", Aliases: []string{"联系电话"}, Path: "customer.contact.phone", Doc: "customer phone (personal data)"},
			{Name: "email", ZH: "邮箱", Aliases: []string{"电子邮件"}, Path: "customer.contact.email", Doc: "customer e-mail (personal data)"},
			{Name: "address", ZH: "地址", Aliases: []string{"详细地址"}, Path: "customer.address.line", Doc: "where the unit is"},
			{Name: "region", ZH: "省份", Aliases: []string{"地区"}, Path: "customer.address.region", Doc: "province or region"},
			{Name: "city", ZH: "城市", Path: "customer.address.city", Doc: "city"},
			{Name: "postcode", ZH: "邮编", Aliases: []string{"邮政编码"}, Path: "customer.address.postcode", Doc: "postcode"},
			{Name: "sale_date", ZH: "销售日期", Aliases: []string{"购买日期", "发票日期"}, Path: "dates.sale", Required: true, Doc: "sale (invoice) day, 2026-03-07"},
			{Name: "manufacture_date", ZH: "生产日期", Path: "dates.manufacture", Doc: "manufacture day"},
			{Name: "delivery_date", ZH: "交付日期", Aliases: []string{"交货日期"}, Path: "dates.delivery", Doc: "delivery day"},
			{Name: "installation_date", ZH: "安装日期", Path: "dates.installation", Doc: "installation / completion day"},
			{Name: "acceptance_date", ZH: "验收日期", Aliases: []string{"验收合格日期"}, Path: "dates.acceptance", Doc: "acceptance day (验收合格)"},
			{Name: "commissioning_date", ZH: "调试日期", Path: "dates.commissioning", Doc: "commissioning day"},
			{Name: "sea_trial_date", ZH: "下水试验日期", Path: "dates.sea_trial", Doc: "sea trial day (下水试验)"},
		},
		record: func() proto.Message { return &warrantyv1.Unit{} },
		send: func(ctx context.Context, conn grpc.ClientConnInterface, opts *typev1.ImportOptions, rows []Row, sent func(int)) (*typev1.ImportReport, error) {
			st, err := warrantyv1.NewWarrantyServiceClient(conn).ImportUnits(ctx)
			if err != nil {
				return nil, err
			}
			return stream(rows, opts, sent, func(o *typev1.ImportOptions, rows []Row) *warrantyv1.ImportUnitsRequest {
				req := &warrantyv1.ImportUnitsRequest{Options: o}
				for _, r := range rows {
					req.Rows = append(req.Rows, &warrantyv1.ImportUnitRow{Line: r.Line, Unit: r.Record.(*warrantyv1.Unit)})
				}
				return req
			}, st.Send, func() (*typev1.ImportReport, error) {
				resp, err := st.CloseAndRecv()
				return resp.GetReport(), err
			})
		},
	}
}
