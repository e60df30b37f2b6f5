package importer

import (
	"regexp"
	"strings"
)

// zhRules translate the services' validation messages (protovalidate's and Sanbao's own) into
// Chinese; a message none matches is kept in English after a Chinese lead.
var zhRules = []struct {
	re *regexp.Regexp
	zh string
}{
	{regexp.MustCompile(`^(?:value )?is required`), "必填"},
	{regexp.MustCompile(`^(?:value )?length must be at least 1 characters?|^(?:value )?must be at least 1 characters?`), "必填"},
	{regexp.MustCompile(`^(?:value )?(?:length )?must be at least (\d+) characters?`), "长度至少 $1 个字符"},
	{regexp.MustCompile(`^(?:value )?(?:length )?must be at most (\d+) characters?`), "长度最多 $1 个字符"},
	{regexp.MustCompile(`^(?:value )?must be at least (\S+) and at most (\S+?)(?: \[.*)?$`), "必须在 $1 到 $2 之间"},
	{regexp.MustCompile("^(?:value )?does not match regex pattern `(.*)`"), "格式不对：只允许 $1"},
	{regexp.MustCompile(`^must be printable ASCII`), "只能是可打印的 ASCII 字符（不含空格、引号、反斜杠）"},
	{regexp.MustCompile(`^must be one line`), "必须是一行，不能含控制字符"},
	{regexp.MustCompile(`^must not contain control characters`), "不能含控制字符"},
	{regexp.MustCompile(`^(?:value )?must be greater than (\S+) and less than or equal to (\S+?)(?: \[.*)?$`), "必须大于 $1 且不超过 $2"},
	{regexp.MustCompile(`^(?:value )?must be greater than or equal to (\S+) and less than or equal to (\S+?)(?: \[.*)?$`), "必须在 $1 到 $2 之间"},
	{regexp.MustCompile(`^(?:value )?must be greater than or equal to (\S+?)(?: \[.*)?$`), "必须大于或等于 $1"},
	{regexp.MustCompile(`^(?:value )?must be less than or equal to (\S+?)(?: \[.*)?$`), "必须小于或等于 $1"},
	{regexp.MustCompile(`^(?:value )?must be greater than (\S+?)(?: \[.*)?$`), "必须大于 $1"},
	{regexp.MustCompile(`^(?:value )?must be less than (\S+?)(?: \[.*)?$`), "必须小于 $1"},
	{regexp.MustCompile(`^(?:value )?must be one of the defined enum values`), "不是有效的选项"},
	{regexp.MustCompile(`^(?:value )?must not be in list \[0\]`), "必填"},
	{regexp.MustCompile(`^must be a real date`), "必填，且须为有效日期"},
	{regexp.MustCompile(`^"(.*)" is not a date`), "“$1” 不是日期（请写成 2026-03-07）"},
	{regexp.MustCompile(`^"(.*)" is not a day of the calendar`), "“$1” 不是日历上的日期"},
	{regexp.MustCompile(`^"(.*)" is not a whole number`), "“$1” 不是整数"},
	{regexp.MustCompile(`^"(.*)" is not a number`), "“$1” 不是数字"},
	{regexp.MustCompile(`^"(.*)" is not an amount`), "“$1” 不是金额（请写成 12.50）"},
	{regexp.MustCompile(`^"(.*)" is not a yes/no value`), "“$1” 不是“是/否”"},
	{regexp.MustCompile(`^"(.*)" is not one of (.*)$`), "“$1” 不是以下之一：$2"},
	{regexp.MustCompile(`^serial (\S+) is also on line (\d+)`), "序列号 $1 与第 $2 行重复"},
	{regexp.MustCompile(`^serial (\S+) is registered with another (\S+);`), "序列号 $1 已登记，但 $2 不同；导入不会修改已登记的产品"},
	{regexp.MustCompile(`^policy (.+) is also on line (\d+)`), "政策 $1 与第 $2 行重复"},
	{regexp.MustCompile(`^policies (.+) are all named "(.*)";`), "政策 $1 都叫“$2”：请填写要修改的政策编号"},
	{regexp.MustCompile(`^is required: a row that sets single settings`), "必填：填写了单项设置的行须注明所修改的模板"},
	{regexp.MustCompile(`^must be one of (.+); got "(.*)"$`), "“$2” 不是以下之一：$1"},
	{regexp.MustCompile(`^"(.*)" is not a free-repair period`), "“$1” 不是免费保修期（请写成 SALE 12，或 DELIVERY 18; SEA_TRIAL 12）"},
	{regexp.MustCompile(`^"(.*)" is not a number of months`), "“$1” 不是月数"},
	{regexp.MustCompile(`^is not a policy in JSON`), "不是 JSON 格式的政策"},
	{regexp.MustCompile(`^(\S+) is not a setting a row may change`), "$1 不是导入可修改的设置"},
	{regexp.MustCompile(`^(\S+) is not a field of a policy`), "$1 不是政策的字段"},
	{regexp.MustCompile(`^policy (\S+) version (\d+) is not known`), "保修政策 $1（版本 $2）不存在"},
	{regexp.MustCompile(`^policy (\S+) is not known`), "保修政策 $1 不存在"},
	{regexp.MustCompile(`^sku (\S+) is also on line (\d+)`), "备件编号 $1 与第 $2 行重复"},
	{regexp.MustCompile(`^part (\S+) is a (\S+) part; an import does not change`), "备件 $1 的类别是 $2；导入不会修改备件类别"},
	{regexp.MustCompile(`^location code (\S+) is also on line (\d+)`), "库位编码 $1 与第 $2 行重复"},
	{regexp.MustCompile(`^location and sku (\S+ \S+) is also on line (\d+)`), "库位与备件 $1 与第 $2 行重复"},
	{regexp.MustCompile(`^location (\S+) is a (\S+) location; an import does not change`), "库位 $1 的类型是 $2；导入不会修改库位类型"},
	{regexp.MustCompile(`^is required: an import finds locations by their code`), "必填：导入按库位编码查找库位"},
	{regexp.MustCompile(`^no location has code (\S+)`), "没有编码为 $1 的库位"},
	{regexp.MustCompile(`^no part has sku (\S+)`), "没有编号为 $1 的备件"},
	{regexp.MustCompile(`^part (\S+) is serial-tracked`), "备件 $1 按序列号管理：请带序列号入库（ReceiveStock）"},
	{regexp.MustCompile(`^location (\S+) already holds (\d+) of (\S+);`), "库位 $1 已有 $3 共 $2 件；期初库存只能设置从未记账的库存（请用库存调整更正）"},
	{regexp.MustCompile(`^technician code (\S+) is also on line (\d+)`), "工号 $1 与第 $2 行重复"},
	{regexp.MustCompile(`^is required: an import finds technicians by their code`), "必填：导入按工号查找技术员"},
	{regexp.MustCompile(`^"(.*)" is not working hours`), "“$1” 不是工作时间（请写成 1-5 08:30-17:30，1 = 周一）"},
	{regexp.MustCompile(`^end_minute must be after start_minute`), "下班时间必须晚于上班时间"},
	{regexp.MustCompile(`^(\S+) (\S+) is also on line (\d+)`), "$1 $2 与第 $3 行重复"},
	{regexp.MustCompile(`^cell (\d+) is beyond the header's (\d+) columns`), "第 $1 个单元格超出了表头的 $2 列"},
	{regexp.MustCompile(`^(.*) must not be before (.*)$`), "$1 不能早于 $2"},
	{regexp.MustCompile(`^(.*) is registered with other data`), "$1 已存在且数据不同"},
}

// zh returns the Chinese reason for an English one.
func zh(reason string) string {
	for _, r := range zhRules {
		if loc := r.re.FindStringSubmatchIndex(reason); loc != nil {
			return string(r.re.ExpandString(nil, r.zh, reason, loc))
		}
	}
	return "不符合规则：" + strings.TrimSpace(reason)
}
