package importer_test

import (
	"context"
	"strings"
	"testing"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	"github.com/sanbao/sanbao/platform/auth"
	"github.com/sanbao/sanbao/platform/natstest"
	"github.com/sanbao/sanbao/platform/svctest"
	"github.com/sanbao/sanbao/services/dispatch"
)

func TestImportTechnicians(t *testing.T) {
	local, err := auth.OpenLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ns := natstest.Run(t)
	ns.Streams(t, "ticket", "inventory")
	cfg := dispatch.DefaultConfig()
	cfg.InventoryAddr = "127.0.0.1:1"
	svc, err := dispatch.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	run := svctest.Start(t, svc, svctest.Options{Name: "dispatch", Clock: svctest.Clock(), NATS: ns, Auth: local})
	conn := run.DialAs(t, admin)
	w := &world{t: t, run: run, ns: ns}

	file := "工号,姓名,所属组织,组织类型,级别,技能,纬度,经度,服务半径,工作时间,每日上限,在岗\n" +
		"T-001,张工,station-jinan,服务站,专家,\"instrument: calibration, display; engine:\",36.65,117.12,100,1-5 08:30-17:30; 6 09:00-12:00,6,是\n" +
		"T-002,李工,station-jinan,服务站,普通,instrument:,36.66,117.10,80,1-5 09:00-17:00,4,是\n"
	rep := importKind(t, conn, "technicians", file)
	if !rep.Applied || rep.Created != 2 {
		t.Fatalf("import technicians = %+v, want 2 created", rep)
	}
	list, err := dispatchv1.NewDispatchServiceClient(run.Conn).ListTechnicians(context.Background(), &dispatchv1.ListTechniciansRequest{})
	if err != nil || len(list.GetTechnicians()) != 2 {
		t.Fatalf("ListTechnicians = %v, %v", list, err)
	}
	var t1 *dispatchv1.Technician
	for _, tc := range list.GetTechnicians() {
		if tc.GetCode() == "T-001" {
			t1 = tc
		}
	}
	if t1.GetLevel() != dispatchv1.TechnicianLevel_TECHNICIAN_LEVEL_EXPERT || len(t1.GetCalendar().GetHours()) != 6 || len(t1.GetSkills()) != 2 ||
		t1.GetSkills()[0].GetSkills()[1] != "display" || t1.GetCalendar().GetTimeZone() != "Asia/Shanghai" || !t1.GetActive() {
		t.Errorf("T-001 = %v, want an expert with 2 product lines and 6 working days", t1)
	}
	w.waitStream("DISPATCH", 2)
	if rep := importKind(t, conn, "technicians", file); !rep.Applied || rep.Unchanged != 2 {
		t.Fatalf("re-import = %+v, want 2 unchanged", rep)
	}
	if rep := importKind(t, conn, "technicians", strings.Replace(file, ",6,是", ",8,是", 1)); !rep.Applied || rep.Updated != 1 || rep.Unchanged != 1 {
		t.Fatalf("import(new capacity) = %+v, want 1 updated", rep)
	}
	w.waitStream("DISPATCH", 3)
	bad := "code,display_name,organisation_id,organisation_kind,level,skills,latitude,longitude,service_radius_km,working_hours,capacity_per_day\n" +
		",X,org,DEALER,ROUTINE,a:,1,1,10,1-5 08:00-12:00,1\n" +
		"T-9,Y,org,DEALER,ROUTINE,a:,1,1,10,Mon 8-12,1\n" +
		"T-10,Z,org,DEALER,ROUTINE,a:,1,1,10,1 12:00-08:00,0\n"
	rep = importKind(t, conn, "technicians", bad)
	fields := map[int32][]string{}
	for _, r := range rep.Rejected {
		fields[r.Line] = append(fields[r.Line], r.Field)
	}
	if rep.Applied || len(fields[2]) == 0 || len(fields[3]) == 0 || len(fields[4]) < 2 {
		t.Fatalf("import(bad technicians) = %+v, want lines 2-4 rejected", rep)
	}
}
