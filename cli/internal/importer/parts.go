package importer

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// partsKind is the parts list (备件目录), imported into the inventory service.
func partsKind() *Kind {
	return &Kind{
		Name: "parts", ZH: "备件目录", Service: "inventory",
		Key:    "sku",
		Update: "an update of name, unit of measure, cost, price, supplier, serial tracking, lead time and minimum order (as UpdatePart); a different kind is a rejected row",
		Columns: []Column{
			{Name: "sku", ZH: "备件编号", Aliases: []string{"零件编号", "物料编码", "part_number"}, Path: "sku", Required: true, Doc: "stock-keeping code, unique: A-Z a-z 0-9 . _ / -"},
			{Name: "name", ZH: "名称", Aliases: []string{"备件名称", "零件名称"}, Path: "name", Required: true, Doc: "part name"},
			{Name: "kind", ZH: "类别", Aliases: []string{"备件类别"}, Path: "kind", Required: true, Doc: "WARRANTY (三包件), WEAR (易损件) or OTHER (其他)",
				Values: map[string]string{"三包件": "WARRANTY", "易损件": "WEAR", "其他": "OTHER"}},
			{Name: "unit_of_measure", ZH: "单位", Aliases: []string{"计量单位"}, Path: "unit_of_measure", Doc: "piece, m, l…; empty means piece"},
			{Name: "unit_cost", ZH: "成本", Aliases: []string{"单位成本", "成本价"}, Path: "unit_cost", Doc: "what one unit costs the company, in yuan"},
			{Name: "price", ZH: "售价", Aliases: []string{"价格", "销售价"}, Path: "price", Doc: "what one unit is sold for, in yuan"},
			{Name: "supplier_id", ZH: "供应商", Aliases: []string{"供应商编号"}, Path: "supplier_id", Doc: "supplier id (supplier claims go to it)"},
			{Name: "serial_tracked", ZH: "序列号管理", Path: "serial_tracked", Doc: "yes when every unit has a serial"},
			{Name: "lead_time_days", ZH: "采购周期", Aliases: []string{"交货期"}, Path: "lead_time_days", Doc: "replenishment lead time in days"},
			{Name: "min_order_quantity", ZH: "最小订货量", Aliases: []string{"起订量"}, Path: "min_order_quantity", Doc: "smallest quantity the supplier ships"},
		},
		record: func() proto.Message { return &inventoryv1.Part{} },
		send: func(ctx context.Context, conn grpc.ClientConnInterface, opts *typev1.ImportOptions, rows []Row, sent func(int)) (*typev1.ImportReport, error) {
			st, err := inventoryv1.NewInventoryServiceClient(conn).ImportParts(ctx)
			if err != nil {
				return nil, err
			}
			return stream(rows, opts, sent, func(o *typev1.ImportOptions, rows []Row) *inventoryv1.ImportPartsRequest {
				req := &inventoryv1.ImportPartsRequest{Options: o}
				for _, r := range rows {
					req.Rows = append(req.Rows, &inventoryv1.ImportPartRow{Line: r.Line, Part: r.Record.(*inventoryv1.Part)})
				}
				return req
			}, st.Send, func() (*typev1.ImportReport, error) {
				resp, err := st.CloseAndRecv()
				return resp.GetReport(), err
			})
		},
	}
}
