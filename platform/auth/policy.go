package auth

import (
	"maps"
	"slices"
	"strings"
)

// Scope is how a role's grant of a method is narrowed to the caller's own data.
type Scope int

// The scopes of a grant.
const (
	// ScopeAll: the role sees and acts on everything the method reaches.
	ScopeAll Scope = iota
	// ScopeOrg: a dealer's own organisation only. Request fields organisation_id and
	// dealer_id are forced to the caller's organisation (an empty filter becomes theirs, another
	// is PERMISSION_DENIED); a response naming another organisation is NOT_FOUND.
	ScopeOrg
	// ScopeOwnJobs: a technician's own jobs only. Request field technician_id is forced to the
	// caller's technician id; a response naming another technician is NOT_FOUND.
	ScopeOwnJobs
	// ScopeOwnUnit: a customer's one unit only (the unit_serial of its token) and that unit's
	// tickets. Request field unit_serial is forced to it; a request or a response naming
	// another unit, or a resource that names no unit, is NOT_FOUND, as if it did not exist.
	ScopeOwnUnit
)

// String names the scope as the policy documentation does.
func (s Scope) String() string {
	switch s {
	case ScopeOrg:
		return "own organisation"
	case ScopeOwnJobs:
		return "own jobs"
	case ScopeOwnUnit:
		return "own unit"
	default:
		return "all"
	}
}

// Rule is what the policy table says about one method.
type Rule struct {
	// Grants are the roles allowed and each one's scope.
	Grants map[Role]Scope
	// Actor names the request fields that record who acts (approver_id, handled_by, ...): for a
	// person they are set to the caller's subject, whatever the request said.
	Actor []string
	// Personal reports whether the method returns customers' personal data (name, phone,
	// address); it is redacted for roles that are not in PersonalData.
	Personal bool
	// Loads marks a scoped mutation of a stored record whose owner the request does not name
	// (a unit code found by serial): before the handler runs, the guard asks the service for
	// the record (Loader) and answers NOT_FOUND, having written nothing, when it is another's.
	Loads bool
	// SelfScoped marks a method whose handler narrows a scoped caller itself (the guard does
	// not see a stream's messages; an attachment names its ticket, not the ticket's owner): it
	// calls Authorize and checks the parent's owner. Scoped callers may stream only such
	// methods; on a unary one the guard still checks the owner fields the response names.
	SelfScoped bool
	// Handover marks a method by which a scoped caller hands its own record to someone else
	// (a technician transfers a job to a colleague): the request is narrowed as usual and the
	// handler refuses a record the caller does not hold, so the answer (the record as handed
	// over, now naming the other owner) is not checked against the scope.
	Handover bool
}

// Allows reports whether role r may call the method, and with which scope.
func (r Rule) Allows(role Role) (Scope, bool) {
	s, ok := r.Grants[role]
	return s, ok
}

// PersonalData are the roles that see customers' names, phones and addresses (seed 001: never
// disclosed to anyone who does not need them; never to an integrator).
var PersonalData = []Role{RoleServiceDesk, RoleDispatcher, RoleTechnician, RoleDealer, RoleManager,
	RoleTicketService, RoleWarrantyService, RoleDispatchService, RoleInventoryService}

// The services' full names, as gRPC method names start.
const (
	ticketService    = "/sanbao.ticket.v1.TicketService/"
	attachService    = "/sanbao.ticket.v1.AttachmentService/"
	customerService  = "/sanbao.ticket.v1.CustomerService/"
	warrantyService  = "/sanbao.warranty.v1.WarrantyService/"
	dispatchService  = "/sanbao.dispatch.v1.DispatchService/"
	inventoryService = "/sanbao.inventory.v1.InventoryService/"
)

// grant is one role's line in a rule.
type grant struct {
	role  Role
	scope Scope
}

func all(roles ...Role) []grant {
	g := make([]grant, len(roles))
	for i, r := range roles {
		g[i] = grant{r, ScopeAll}
	}
	return g
}

func org(r Role) grant  { return grant{r, ScopeOrg} }
func own(r Role) grant  { return grant{r, ScopeOwnJobs} }
func one(r Role) grant  { return grant{r, ScopeAll} }
func unit(r Role) grant { return grant{r, ScopeOwnUnit} }
func readers() []grant  { return all(RoleManager, RoleIntegrator, RoleAdmin) }

// rule builds a rule from grants (and lists of grants).
func rule(gs ...any) Rule {
	r := Rule{Grants: map[Role]Scope{}}
	for _, g := range gs {
		switch g := g.(type) {
		case grant:
			r.Grants[g.role] = g.scope
		case []grant:
			for _, x := range g {
				r.Grants[x.role] = x.scope
			}
		case actor:
			r.Actor = append(r.Actor, string(g))
		case personal:
			r.Personal = true
		case selfScoped:
			r.SelfScoped = true
		case handover:
			r.Handover = true
		case loads:
			r.Loads = true
		}
	}
	return r
}

type actor string
type personal struct{}

var pii = personal{}

type selfScoped struct{}

// byHandler marks a rule SelfScoped.
var byHandler = selfScoped{}

type handover struct{}

// handsOver marks a rule Handover.
var handsOver = handover{}

type loads struct{}

// storedFirst marks a rule Loads.
var storedFirst = loads{}

// Short names for the table.
const (
	desk   = RoleServiceDesk
	disp   = RoleDispatcher
	tech   = RoleTechnician
	wh     = RoleWarehouse
	dealer = RoleDealer
	techd  = RoleTechnical
	mgr    = RoleManager
	integ  = RoleIntegrator
	admin  = RoleAdmin
	svcT   = RoleTicketService
	svcD   = RoleDispatchService
	cust   = RoleCustomer
)

// policy is THE table: every method of the four services, the roles allowed and their scope.
// A method missing here is denied to everyone (TestPolicyCoversEveryMethod fails first).
var policy = map[string]Rule{
	// Ticket: the service desk's work; dealers see and open tickets for their own customers.
	ticketService + "CreateTicket":           rule(all(desk, mgr), org(dealer), pii),
	ticketService + "GetTicket":              rule(all(desk, disp, techd, mgr, integ, svcD), org(dealer), pii),
	ticketService + "GetJobBrief":            rule(all(desk, disp, techd, mgr), own(tech), pii),
	ticketService + "ListTickets":            rule(all(desk, disp, techd, mgr, integ), org(dealer), pii),
	ticketService + "RecordContact":          rule(all(desk, mgr), actor("contact.handled_by"), pii),
	ticketService + "ListContacts":           rule(all(desk, mgr), pii),
	ticketService + "HoldTicket":             rule(all(desk, mgr), pii),
	ticketService + "ResumeTicket":           rule(all(desk, mgr), pii),
	ticketService + "DispatchTicket":         rule(all(desk, disp, mgr), pii),
	ticketService + "EscalateTicket":         rule(all(desk, disp, techd, mgr), pii),
	ticketService + "ResolveTicket":          rule(all(desk, techd, mgr), pii),
	ticketService + "ConfirmResolution":      rule(all(desk, mgr), pii),
	ticketService + "CloseTicket":            rule(all(desk, mgr), pii),
	ticketService + "ReopenTicket":           rule(all(desk, mgr), pii),
	ticketService + "CancelTicket":           rule(all(desk, mgr), pii),
	ticketService + "SubmitSurvey":           rule(all(desk, mgr), pii),
	ticketService + "VerifyComplaint":        rule(all(mgr), pii),
	ticketService + "AnswerComplaint":        rule(all(mgr), pii),
	ticketService + "GetServiceMetrics":      rule(readers(), org(dealer)),
	ticketService + "CreateBusinessCalendar": rule(one(admin)),
	ticketService + "GetBusinessCalendar":    rule(all(desk, disp, mgr, integ, admin)),
	ticketService + "ListBusinessCalendars":  rule(all(desk, disp, mgr, integ, admin)),
	ticketService + "UpdateBusinessCalendar": rule(one(admin)),
	ticketService + "CreateServicePolicy":    rule(one(admin)),
	ticketService + "GetServicePolicy":       rule(all(desk, disp, mgr, integ, admin)),
	ticketService + "ListServicePolicies":    rule(all(desk, disp, mgr, integ, admin)),
	ticketService + "UpdateServicePolicy":    rule(one(admin)),
	// The desk's programmes: follow-up calls and revisits are the desk's work; notes are private.
	ticketService + "ListFollowUps":         rule(all(desk, mgr), pii),
	ticketService + "GetFollowUp":           rule(all(desk, mgr), pii),
	ticketService + "RecordFollowUpOutcome": rule(all(desk, mgr), pii),
	ticketService + "CreateProgramme":       rule(all(desk, mgr), pii),
	ticketService + "GetProgramme":          rule(all(desk, disp, mgr), pii),

	// Warranty: reference data by admins; units registered by dealers (their own) and the desk.
	warrantyService + "CreatePolicy":         rule(one(admin)),
	warrantyService + "GetPolicy":            rule(all(desk, dealer, techd, mgr, integ, admin, svcT)),
	warrantyService + "ListPolicies":         rule(all(desk, dealer, techd, mgr, integ, admin)),
	warrantyService + "ListPolicyTemplates":  rule(all(admin, mgr)),
	warrantyService + "ImportPolicies":       rule(one(admin)),
	warrantyService + "ImportUnits":          rule(one(admin)),
	warrantyService + "RegisterUnit":         rule(all(desk, admin), org(dealer), pii),
	warrantyService + "GetUnit":              rule(all(desk, disp, techd, mgr, integ, admin, svcT), org(dealer), pii),
	warrantyService + "ListUnits":            rule(all(desk, techd, mgr, integ, admin), org(dealer), pii),
	warrantyService + "ReturnWarrantyCard":   rule(all(desk, admin), pii),
	warrantyService + "RecordRepair":         rule(all(desk, techd, svcT), pii),
	warrantyService + "ListRepairs":          rule(all(desk, techd, mgr, integ, svcT)),
	warrantyService + "EvaluateClaim":        rule(all(desk, techd, mgr, svcT)),
	warrantyService + "QuoteServiceFee":      rule(all(desk, techd, mgr, svcT)),
	warrantyService + "CreateCampaign":       rule(all(admin, techd)),
	warrantyService + "ListCampaigns":        rule(all(desk, techd, mgr, integ, admin)),
	warrantyService + "GetCampaign":          rule(all(desk, techd, mgr, integ, admin, svcT)),
	warrantyService + "ListCampaignUnits":    rule(all(desk, disp, techd, mgr, integ, admin, svcT)),
	warrantyService + "CompleteCampaignUnit": rule(all(techd, mgr, svcT)),
	warrantyService + "GetWarrantyCost":      rule(readers(), one(techd)),

	// Dispatch: dispatchers run jobs; technicians act only on the jobs assigned to them.
	dispatchService + "CreateTechnician":      rule(all(disp, admin)),
	dispatchService + "ImportTechnicians":     rule(one(admin)),
	dispatchService + "GetTechnician":         rule(all(disp, mgr, admin, integ), own(tech)),
	dispatchService + "ListTechnicians":       rule(all(disp, mgr, admin, integ)),
	dispatchService + "UpdateTechnician":      rule(all(disp, admin)),
	dispatchService + "RecordTraining":        rule(all(disp, techd, admin)),
	dispatchService + "RecordAssessment":      rule(all(techd, mgr, admin)),
	dispatchService + "ListQualifications":    rule(all(disp, techd, mgr, admin, integ), own(tech)),
	dispatchService + "CreateJob":             rule(all(disp, svcT), actor("job.requested_by"), pii),
	dispatchService + "GetJob":                rule(all(desk, disp, mgr, integ, svcT), own(tech), pii),
	dispatchService + "ListJobs":              rule(all(desk, disp, mgr, integ), own(tech), pii),
	dispatchService + "RankTechnicians":       rule(all(disp)),
	dispatchService + "AssignJob":             rule(all(disp), pii),
	dispatchService + "AcceptJob":             rule(all(disp), own(tech), pii),
	dispatchService + "DeclineJob":            rule(all(disp), own(tech), pii),
	dispatchService + "ScheduleAppointment":   rule(all(disp), own(tech), pii),
	dispatchService + "RescheduleAppointment": rule(all(disp), own(tech), pii),
	dispatchService + "StartTravel":           rule(all(disp), own(tech), pii),
	dispatchService + "CheckIn":               rule(all(disp), own(tech), pii),
	dispatchService + "RecordWork":            rule(all(disp), own(tech), pii),
	dispatchService + "CompleteVisit":         rule(all(disp), own(tech), pii),
	dispatchService + "AmendReport":           rule(all(disp), actor("amendment.author_id"), pii),
	dispatchService + "ApproveJob":            rule(all(mgr), actor("approver_id"), pii),
	dispatchService + "EscalateJob":           rule(all(disp), pii),
	dispatchService + "CancelJob":             rule(all(disp, svcT), pii),
	dispatchService + "PlanDay":               rule(all(disp, mgr)),
	dispatchService + "CommitPlan":            rule(all(disp), pii),

	// Inventory: the warehouse's books; dealers see their own stock and return their old parts.
	inventoryService + "CreatePart":             rule(all(admin, wh)),
	inventoryService + "ImportParts":            rule(one(admin)),
	inventoryService + "ImportLocations":        rule(one(admin)),
	inventoryService + "ImportStock":            rule(one(admin)),
	inventoryService + "GetPart":                rule(all(desk, disp, tech, wh, dealer, techd, mgr, integ, admin, svcD)),
	inventoryService + "ListParts":              rule(all(desk, disp, tech, wh, dealer, techd, mgr, integ, admin, svcD)),
	inventoryService + "UpdatePart":             rule(all(admin, wh)),
	inventoryService + "CreateLocation":         rule(all(admin, wh)),
	inventoryService + "GetLocation":            rule(all(disp, tech, wh, mgr, integ, admin, svcD), org(dealer)),
	inventoryService + "ListLocations":          rule(all(disp, tech, wh, mgr, integ, admin, svcD), org(dealer)),
	inventoryService + "UpdateLocation":         rule(all(admin, wh)),
	inventoryService + "ReceiveStock":           rule(all(wh)),
	inventoryService + "TransferStock":          rule(all(wh)),
	inventoryService + "AdjustStock":            rule(all(wh)),
	inventoryService + "ReserveParts":           rule(all(wh, disp, svcD)),
	inventoryService + "GetReservation":         rule(all(wh, disp, mgr, integ, svcD)),
	inventoryService + "ListReservations":       rule(all(wh, disp, mgr, integ, svcD)),
	inventoryService + "ReleaseReservation":     rule(all(wh, disp, svcD)),
	inventoryService + "ConsumeReservation":     rule(all(wh, svcD)),
	inventoryService + "CreateRequisition":      rule(all(wh, disp, tech, svcD), actor("requester_id")),
	inventoryService + "GetRequisition":         rule(all(wh, disp, mgr, integ, svcD)),
	inventoryService + "ListRequisitions":       rule(all(wh, disp, mgr, integ)),
	inventoryService + "ApproveRequisition":     rule(all(mgr), actor("approver_id")),
	inventoryService + "RejectRequisition":      rule(all(mgr), actor("approver_id")),
	inventoryService + "IssueRequisition":       rule(all(wh)),
	inventoryService + "ReturnOldPart":          rule(all(wh, tech), org(dealer)),
	inventoryService + "AppraiseReturn":         rule(all(techd), actor("appraiser_id")),
	inventoryService + "GetReturn":              rule(all(wh, techd, mgr, integ), org(dealer)),
	inventoryService + "ListOutstandingReturns": rule(all(wh, techd, mgr, integ), org(dealer)),
	inventoryService + "GetSupplierClaim":       rule(all(wh, techd, mgr, integ)),
	inventoryService + "ListSupplierClaims":     rule(all(wh, techd, mgr, integ)),
	inventoryService + "ResolveSupplierClaim":   rule(all(wh, mgr)),
	inventoryService + "GetStock":               rule(all(disp, tech, wh, mgr, integ, svcD), org(dealer)),
	inventoryService + "ListLocationStock":      rule(all(disp, wh, mgr, integ, admin, svcD), org(dealer), own(tech)),
	inventoryService + "ListMovements":          rule(all(wh, mgr, integ), org(dealer)),
	inventoryService + "SuggestReorders":        rule(all(wh, mgr)),
	inventoryService + "SubmitStockingPlan":     rule(all(wh)),
	inventoryService + "CompareStockingPlan":    rule(all(wh, mgr)),

	// Attachments (ticket service): as their ticket; dealers their organisation's tickets,
	// technicians the tickets and jobs they work, a customer its unit's tickets (the photos and
	// video of the fault it reports; it deletes nothing). The bytes (photos may show people and
	// addresses) are not for integrators. Upload and download stream: their handlers scope.
	// The job pool: stations release, their technicians pick; a technician transfers an accepted
	// job to a colleague (its technician_id is the caller; to_technician_id the colleague).
	dispatchService + "ReleaseToPool": rule(all(disp, mgr), pii),
	dispatchService + "PickJob":       rule(all(disp), own(tech), pii),
	dispatchService + "TransferJob":   rule(all(disp, mgr), own(tech), handsOver, pii),
	dispatchService + "ListPoolJobs":  rule(all(disp, mgr), own(tech), pii),
	dispatchService + "ListDayJobs":   rule(all(disp, mgr), own(tech), pii),

	// Unit codes for the customer's page (ticket service): staff, and dealers for their own units.
	customerService + "IssueUnitCode": rule(all(desk, mgr, admin), org(dealer), pii, storedFirst),

	attachService + "UploadAttachment":   rule(all(desk, techd, mgr), org(dealer), own(tech), unit(cust), byHandler),
	attachService + "GetAttachment":      rule(all(desk, disp, techd, mgr, integ), org(dealer), own(tech), unit(cust), byHandler),
	attachService + "ListAttachments":    rule(all(desk, disp, techd, mgr, integ), org(dealer), own(tech), unit(cust), byHandler),
	attachService + "DownloadAttachment": rule(all(desk, disp, techd, mgr), org(dealer), own(tech), unit(cust), byHandler),
	attachService + "DeleteAttachment":   rule(all(desk, mgr)),
}

// Lookup returns the rule of a full gRPC method name (/pkg.Service/Method).
func Lookup(fullMethod string) (Rule, bool) {
	r, ok := policy[fullMethod]
	return r, ok
}

// Methods returns every method the table knows, sorted.
func Methods() []string { return slices.Sorted(maps.Keys(policy)) }

// Open reports whether a method is open to any caller, authenticated or not: the standard
// health service and server reflection, as operators and grpcurl expect.
func Open(fullMethod string) bool {
	return strings.HasPrefix(fullMethod, "/grpc.health.") || strings.HasPrefix(fullMethod, "/grpc.reflection.")
}
