package rpc

import "google.golang.org/grpc/codes"

// Reason is the stable, machine-readable cause of an error: google.rpc.ErrorInfo.reason
// (AIP-193), UPPER_SNAKE. Clients branch on it, never on the message; a reason once published
// keeps its meaning.
type Reason string

// The reasons the services return. Every one is in Catalogue with its code and its text in
// English and Chinese.
const (
	ReasonInvalidRequest   Reason = "INVALID_REQUEST"
	ReasonRequestIDReused  Reason = "REQUEST_ID_REUSED"
	ReasonMalformed        Reason = "MALFORMED_REQUEST"
	ReasonPageTokenInvalid Reason = "PAGE_TOKEN_INVALID"
	ReasonOrderByInvalid   Reason = "ORDER_BY_INVALID"
	ReasonTooManyToSort    Reason = "TOO_MANY_TO_SORT"
	ReasonOutOfRange       Reason = "OUT_OF_RANGE"
	ReasonNotFound         Reason = "NOT_FOUND"
	ReasonAlreadyExists    Reason = "ALREADY_EXISTS"
	ReasonSerialTaken      Reason = "SERIAL_TAKEN"
	ReasonStateConflict    Reason = "STATE_CONFLICT"
	ReasonPrecondition     Reason = "PRECONDITION_FAILED"
	ReasonNotConfirmed     Reason = "RESOLUTION_NOT_CONFIRMED"
	ReasonSurveyExists     Reason = "SURVEY_EXISTS"
	ReasonNotResolved      Reason = "TICKET_NOT_RESOLVED"
	ReasonNotComplaint     Reason = "NOT_A_COMPLAINT"
	ReasonComplaintStep    Reason = "COMPLAINT_STEP"
	ReasonPolicyUnknown    Reason = "POLICY_UNKNOWN"
	ReasonPartCostUnknown  Reason = "PART_COST_UNKNOWN"
	ReasonCardReturned     Reason = "WARRANTY_CARD_RETURNED"
	ReasonUnitClosed       Reason = "UNIT_CLOSED"
	ReasonStockShort       Reason = "INSUFFICIENT_STOCK"
	ReasonEtagMismatch     Reason = "ETAG_MISMATCH"
	ReasonAborted          Reason = "ABORTED"
	ReasonUnauthenticated  Reason = "UNAUTHENTICATED"
	ReasonPermissionDenied Reason = "PERMISSION_DENIED"
	ReasonServerBusy       Reason = "SERVER_BUSY"
	ReasonNotReady         Reason = "SERVICE_NOT_READY"
	ReasonUnavailable      Reason = "SERVICE_UNAVAILABLE"
	ReasonDeadline         Reason = "DEADLINE_EXCEEDED"
	ReasonCancelled        Reason = "CANCELLED"
	ReasonUnimplemented    Reason = "UNIMPLEMENTED"
	ReasonInternal         Reason = "INTERNAL_ERROR"
	ReasonUnknown          Reason = "UNKNOWN_ERROR"
	ReasonDataLoss         Reason = "DATA_LOSS"
)

// Entry is one reason of the catalogue: the gRPC code it comes with and what a person is told,
// in each language the services speak.
type Entry struct {
	Reason Reason
	Code   codes.Code
	EN, ZH string
}

// Catalogue is every reason, in the order docs/api-conventions.md lists them.
var Catalogue = []Entry{
	{ReasonInvalidRequest, codes.InvalidArgument, "The request has fields that break the rules; each is listed in the BadRequest detail.", "请求中有字段不符合要求，详见各字段的说明。"},
	{ReasonMalformed, codes.InvalidArgument, "The body or a query parameter is not this method's JSON (a wrong type, a cut-off body, an unknown enum value).", "请求体或查询参数不是该接口的 JSON 格式（类型不对、内容不完整或枚举值不存在）。"},
	{ReasonRequestIDReused, codes.InvalidArgument, "This request_id was already used for a different request; use a new request_id for a new request.", "该 request_id 已用于另一个请求，新请求请使用新的 request_id。"},
	{ReasonPageTokenInvalid, codes.InvalidArgument, "The page token is not one this list returned, or the filters or order changed.", "分页标记无效，或筛选条件、排序方式已改变。"},
	{ReasonOrderByInvalid, codes.InvalidArgument, "order_by names a field or direction this list cannot be sorted by.", "order_by 指定的排序字段或方向不受支持。"},
	{ReasonTooManyToSort, codes.FailedPrecondition, "Too many items match to sort them in this order; narrow the filters or use an indexed order.", "匹配的记录太多，无法按此方式排序，请缩小筛选范围或使用有索引的排序。"},
	{ReasonOutOfRange, codes.OutOfRange, "A value is outside the range this call accepts.", "取值超出了允许的范围。"},
	{ReasonNotFound, codes.NotFound, "The requested resource does not exist (or is not yours to see).", "请求的资源不存在（或您无权查看）。"},
	{ReasonAlreadyExists, codes.AlreadyExists, "A resource with this id already exists.", "该编号的资源已存在。"},
	{ReasonSerialTaken, codes.AlreadyExists, "This serial number is already registered to another unit.", "该序列号已登记在另一台机器上。"},
	{ReasonStateConflict, codes.FailedPrecondition, "The resource's current state does not allow this change.", "当前状态不允许此操作。"},
	{ReasonPrecondition, codes.FailedPrecondition, "The change is not possible in the current situation.", "当前情况下无法执行此操作。"},
	{ReasonNotConfirmed, codes.FailedPrecondition, "The customer has not confirmed the resolution and the close timeout has not passed.", "客户尚未确认处理结果，且未到自动关闭时间。"},
	{ReasonSurveyExists, codes.FailedPrecondition, "The ticket already has a survey.", "该工单已有满意度回访记录。"},
	{ReasonNotResolved, codes.FailedPrecondition, "The ticket is not resolved.", "该工单尚未解决。"},
	{ReasonNotComplaint, codes.FailedPrecondition, "The ticket is not a complaint.", "该工单不是投诉单。"},
	{ReasonComplaintStep, codes.FailedPrecondition, "The complaint is not at the step this change needs.", "投诉处理尚未进行到这一步。"},
	{ReasonPolicyUnknown, codes.FailedPrecondition, "The unit names a warranty policy version that does not exist.", "该机器关联的保修政策版本不存在。"},
	{ReasonPartCostUnknown, codes.FailedPrecondition, "A material has no cost given and none is known.", "有物料未给出成本，系统中也没有它的成本。"},
	{ReasonCardReturned, codes.FailedPrecondition, "The unit's warranty card was already returned.", "该机器的保修卡已经寄回。"},
	{ReasonUnitClosed, codes.FailedPrecondition, "The unit's record is closed.", "该机器档案已关闭。"},
	{ReasonStockShort, codes.FailedPrecondition, "Not enough stock is available for this change.", "可用库存不足。"},
	{ReasonEtagMismatch, codes.Aborted, "The resource changed since it was read; read it again and retry.", "资源在读取之后已被修改，请重新读取后再试。"},
	{ReasonAborted, codes.Aborted, "The change conflicted with another one; retry it.", "操作与另一操作冲突，请重试。"},
	{ReasonUnauthenticated, codes.Unauthenticated, "Sign in: the call carries no valid credentials.", "请先登录：请求没有携带有效的身份凭证。"},
	{ReasonPermissionDenied, codes.PermissionDenied, "Your role may not do this.", "您的角色无权执行此操作。"},
	{ReasonServerBusy, codes.ResourceExhausted, "The service is busy; retry in a moment.", "服务繁忙，请稍后重试。"},
	{ReasonNotReady, codes.Unavailable, "The service is starting or stopping; retry in a moment with the same request_id.", "服务正在启动或停止，请稍后用同一 request_id 重试。"},
	{ReasonUnavailable, codes.Unavailable, "A service this call needs cannot be reached; retry in a moment with the same request_id.", "所需的服务暂时无法访问，请稍后用同一 request_id 重试。"},
	{ReasonDeadline, codes.DeadlineExceeded, "The call took longer than its deadline.", "请求超时。"},
	{ReasonCancelled, codes.Canceled, "The call was cancelled.", "请求已取消。"},
	{ReasonUnimplemented, codes.Unimplemented, "This method is not implemented.", "此功能尚未实现。"},
	{ReasonInternal, codes.Internal, "Internal error; the server log has the details.", "服务器内部错误，详情见服务器日志。"},
	{ReasonUnknown, codes.Unknown, "Unknown error.", "未知错误。"},
	{ReasonDataLoss, codes.DataLoss, "Stored data is damaged; the server log has the details.", "存储的数据已损坏，详情见服务器日志。"},
}

var byReason = func() map[Reason]Entry {
	m := make(map[Reason]Entry, len(Catalogue))
	for _, e := range Catalogue {
		m[e.Reason] = e
	}
	return m
}()

// defaultReasons is the reason of an error that names none, by its code.
var defaultReasons = map[codes.Code]Reason{
	codes.Canceled:           ReasonCancelled,
	codes.Unknown:            ReasonUnknown,
	codes.InvalidArgument:    ReasonInvalidRequest,
	codes.DeadlineExceeded:   ReasonDeadline,
	codes.NotFound:           ReasonNotFound,
	codes.AlreadyExists:      ReasonAlreadyExists,
	codes.PermissionDenied:   ReasonPermissionDenied,
	codes.ResourceExhausted:  ReasonServerBusy,
	codes.FailedPrecondition: ReasonPrecondition,
	codes.Aborted:            ReasonAborted,
	codes.OutOfRange:         ReasonOutOfRange,
	codes.Unimplemented:      ReasonUnimplemented,
	codes.Internal:           ReasonInternal,
	codes.Unavailable:        ReasonUnavailable,
	codes.DataLoss:           ReasonDataLoss,
	codes.Unauthenticated:    ReasonUnauthenticated,
}

// Lookup returns the catalogue entry of reason.
func Lookup(reason Reason) (Entry, bool) {
	e, ok := byReason[reason]
	return e, ok
}
