package importer

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
	typev1 "github.com/sanbao/sanbao/gen/sanbao/type/v1"
)

// techniciansKind is the technicians (技术员), imported into the dispatch service.
func techniciansKind() *Kind {
	return &Kind{
		Name: "technicians", ZH: "技术员", Service: "dispatch",
		Key:    "code",
		Update: "a replacement of every field (as UpdateTechnician)",
		Columns: []Column{
			{Name: "code", ZH: "工号", Aliases: []string{"技术员编号", "编号"}, Path: "code", Required: true, Doc: "the technician's code in the staff register, unique"},
			{Name: "display_name", ZH: "姓名", Aliases: []string{"name", "名字"}, Path: "display_name", Required: true, Doc: "name (personal data)"},
			{Name: "organisation_id", ZH: "所属组织", Aliases: []string{"组织", "组织编号"}, Path: "organisation_id", Required: true, Doc: "the organisation the technician works for"},
			{Name: "organisation_kind", ZH: "组织类型", Path: "organisation_kind", Required: true, Doc: "TECHNICAL_DEPARTMENT (技术部), SERVICE_STATION (服务站) or DEALER (经销商)",
				Values: map[string]string{"技术部": "TECHNICAL_DEPARTMENT", "服务站": "SERVICE_STATION", "经销商": "DEALER"}},
			{Name: "level", ZH: "级别", Path: "level", Required: true, Doc: "ROUTINE (普通) or EXPERT (专家)", Values: map[string]string{"普通": "ROUTINE", "专家": "EXPERT"}},
			{Name: "skills", ZH: "技能", Path: "skills", Required: true, Parse: parseSkills,
				Doc: "per product line: `instrument: calibration, display; engine: overhaul` (a line with no skills after the colon takes routine jobs of that line)"},
			{Name: "latitude", ZH: "纬度", Path: "home_base.latitude", Required: true, Doc: "home base latitude (WGS 84)"},
			{Name: "longitude", ZH: "经度", Path: "home_base.longitude", Required: true, Doc: "home base longitude"},
			{Name: "service_radius_km", ZH: "服务半径", Aliases: []string{"服务半径公里"}, Path: "service_radius_km", Required: true, Doc: "service radius in km (policy default 100)"},
			{Name: "working_hours", ZH: "工作时间", Path: "calendar.hours", Required: true, Parse: parseHours,
				Doc: "ISO weekdays and hours: `1-5 08:30-17:30; 6 09:00-12:00` (1 = Monday)"},
			{Name: "time_zone", ZH: "时区", Path: "calendar.time_zone", Doc: "IANA zone; empty means Asia/Shanghai"},
			{Name: "capacity_per_day", ZH: "每日上限", Aliases: []string{"每日工单上限"}, Path: "capacity_per_day", Required: true, Doc: "open jobs a day, 1 to 100"},
			{Name: "active", ZH: "在岗", Aliases: []string{"启用"}, Path: "active", Doc: "yes when the technician takes new jobs"},
			{Name: "van_location_id", ZH: "服务车库位", Path: "van_location_id", Doc: "inventory location id of the van stock"},
			{Name: "region", ZH: "地区", Aliases: []string{"服务地区"}, Path: "region", Doc: "region served"},
		},
		record: func() proto.Message { return &dispatchv1.Technician{} },
		send: func(ctx context.Context, conn grpc.ClientConnInterface, opts *typev1.ImportOptions, rows []Row, sent func(int)) (*typev1.ImportReport, error) {
			st, err := dispatchv1.NewDispatchServiceClient(conn).ImportTechnicians(ctx)
			if err != nil {
				return nil, err
			}
			return stream(rows, opts, sent, func(o *typev1.ImportOptions, rows []Row) *dispatchv1.ImportTechniciansRequest {
				req := &dispatchv1.ImportTechniciansRequest{Options: o}
				for _, r := range rows {
					t := r.Record.(*dispatchv1.Technician)
					if t.GetCalendar() != nil && t.GetCalendar().GetTimeZone() == "" {
						t.Calendar.TimeZone = "Asia/Shanghai"
					}
					req.Rows = append(req.Rows, &dispatchv1.ImportTechnicianRow{Line: r.Line, Technician: t})
				}
				return req
			}, st.Send, func() (*typev1.ImportReport, error) {
				resp, err := st.CloseAndRecv()
				return resp.GetReport(), err
			})
		},
	}
}

// listSep splits a cell's list ("a; b" or "a；b").
func listSep(r rune) bool { return r == ';' || r == '；' }

// parseSkills reads "instrument: calibration, display; engine: overhaul".
func parseSkills(m proto.Message, value string) error {
	t := m.(*dispatchv1.Technician)
	for _, part := range strings.FieldsFunc(value, listSep) {
		line, skills, _ := strings.Cut(strings.ReplaceAll(part, "：", ":"), ":")
		ps := &dispatchv1.ProductSkills{ProductLine: strings.TrimSpace(line)}
		for _, s := range strings.FieldsFunc(skills, func(r rune) bool { return r == ',' || r == '，' || r == '、' }) {
			if s = strings.TrimSpace(s); s != "" {
				ps.Skills = append(ps.Skills, s)
			}
		}
		t.Skills = append(t.Skills, ps)
	}
	return nil
}

var hoursRE = regexp.MustCompile(`^([1-7])(?:\s*-\s*([1-7]))?\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$`)

// parseHours reads "1-5 08:30-17:30; 6 09:00-12:00" (ISO weekdays, 1 = Monday).
func parseHours(m proto.Message, value string) error {
	t := m.(*dispatchv1.Technician)
	if t.Calendar == nil {
		t.Calendar = &dispatchv1.WorkingCalendar{}
	}
	for _, part := range strings.FieldsFunc(value, listSep) {
		g := hoursRE.FindStringSubmatch(strings.TrimSpace(part))
		if g == nil {
			return fmt.Errorf("%q is not working hours (write 1-5 08:30-17:30; 1 = Monday)", strings.TrimSpace(part))
		}
		n := func(s string) int32 { v, _ := strconv.Atoi(s); return int32(v) }
		from, to := n(g[1]), n(g[1])
		if g[2] != "" {
			to = n(g[2])
		}
		if to < from {
			return fmt.Errorf("%q: weekdays run from %d to %d, backwards", part, from, to)
		}
		for d := from; d <= to; d++ {
			t.Calendar.Hours = append(t.Calendar.Hours, &dispatchv1.WorkingHours{Weekday: d, StartMinute: n(g[3])*60 + n(g[4]), EndMinute: n(g[5])*60 + n(g[6])})
		}
	}
	return nil
}
