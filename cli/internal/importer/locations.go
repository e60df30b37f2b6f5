package importer

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	inventoryv1 "github.com/sanbao/sanbao/gen/sanbao/inventory/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// locationsKind is the stock locations (库位), imported into the inventory service.
func locationsKind() *Kind {
	return &Kind{
		Name: "locations", ZH: "库位", Service: "inventory",
		Key:    "code",
		Update: "an update of name, technician, organisation and point (as UpdateLocation); a different kind is a rejected row",
		Columns: []Column{
			{Name: "code", ZH: "库位编码", Aliases: []string{"编码", "仓库编码"}, Path: "code", Required: true, Doc: "the location's code, unique: A-Z a-z 0-9 . _ / -"},
			{Name: "name", ZH: "名称", Aliases: []string{"库位名称", "仓库名称"}, Path: "name", Required: true, Doc: "location name"},
			{Name: "kind", ZH: "类型", Aliases: []string{"库位类型"}, Path: "kind", Required: true,
				Doc:    "CENTRAL (中心库), STATION (服务站), DEALER (经销商), VAN (服务车), REUSABLE (可再用库), SCRAP (报废库), IN_TRANSIT (在途)",
				Values: map[string]string{"中心库": "CENTRAL", "服务站": "STATION", "经销商": "DEALER", "服务车": "VAN", "可再用库": "REUSABLE", "报废库": "SCRAP", "在途": "IN_TRANSIT"}},
			{Name: "technician_id", ZH: "技术员", Aliases: []string{"技术员编号"}, Path: "technician_id", Doc: "for a VAN: the technician who drives it (required then)"},
			{Name: "organisation_id", ZH: "所属组织", Aliases: []string{"组织", "组织编号"}, Path: "organisation_id", Doc: "the organisation whose books hold the stock"},
			{Name: "latitude", ZH: "纬度", Path: "point.latitude", Doc: "WGS 84 latitude (GetStock sorts by distance)"},
			{Name: "longitude", ZH: "经度", Path: "point.longitude", Doc: "WGS 84 longitude"},
		},
		record: func() proto.Message { return &inventoryv1.Location{} },
		send: func(ctx context.Context, conn grpc.ClientConnInterface, opts *typev1.ImportOptions, rows []Row, sent func(int)) (*typev1.ImportReport, error) {
			st, err := inventoryv1.NewInventoryServiceClient(conn).ImportLocations(ctx)
			if err != nil {
				return nil, err
			}
			return stream(rows, opts, sent, func(o *typev1.ImportOptions, rows []Row) *inventoryv1.ImportLocationsRequest {
				req := &inventoryv1.ImportLocationsRequest{Options: o}
				for _, r := range rows {
					req.Rows = append(req.Rows, &inventoryv1.ImportLocationRow{Line: r.Line, Location: r.Record.(*inventoryv1.Location)})
				}
				return req
			}, st.Send, func() (*typev1.ImportReport, error) {
				resp, err := st.CloseAndRecv()
				return resp.GetReport(), err
			})
		},
	}
}

// stockKind is opening stock (期初库存) per location and part, imported into the inventory
// service.
func stockKind() *Kind {
	return &Kind{
		Name: "stock", ZH: "期初库存", Service: "inventory",
		Key:    "location_code + sku",
		Update: "never: a location already holding another quantity of the part is a rejected row (correct it with AdjustStock); serial-tracked parts are received with their serials instead",
		Columns: []Column{
			{Name: "location_code", ZH: "库位编码", Aliases: []string{"库位", "仓库编码"}, Path: "location_code", Required: true, Doc: "the location's code (import locations first)"},
			{Name: "sku", ZH: "备件编号", Aliases: []string{"零件编号", "物料编码"}, Path: "sku", Required: true, Doc: "the part's sku (import parts first)"},
			{Name: "quantity", ZH: "数量", Aliases: []string{"期初数量", "库存数量"}, Path: "quantity", Required: true, Doc: "units on hand, at least 1"},
			{Name: "receiving_note", ZH: "入库单号", Aliases: []string{"入库单"}, Path: "receiving_note", Doc: "receiving note of the opening balance; empty means \"opening stock\""},
		},
		record: func() proto.Message { return &inventoryv1.ImportStockRow{} },
		send: func(ctx context.Context, conn grpc.ClientConnInterface, opts *typev1.ImportOptions, rows []Row, sent func(int)) (*typev1.ImportReport, error) {
			st, err := inventoryv1.NewInventoryServiceClient(conn).ImportStock(ctx)
			if err != nil {
				return nil, err
			}
			return stream(rows, opts, sent, func(o *typev1.ImportOptions, rows []Row) *inventoryv1.ImportStockRequest {
				req := &inventoryv1.ImportStockRequest{Options: o}
				for _, r := range rows {
					row := r.Record.(*inventoryv1.ImportStockRow)
					row.Line = r.Line
					req.Rows = append(req.Rows, row)
				}
				return req
			}, st.Send, func() (*typev1.ImportReport, error) {
				resp, err := st.CloseAndRecv()
				return resp.GetReport(), err
			})
		},
	}
}
