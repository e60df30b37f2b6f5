// Package store keeps the ticket service's records in its bbolt file: tickets with their
// secondary indexes and KPI aggregates, contacts, business calendars,
// service policies, follow-ups and unit programmes.
package store

import "github.com/sanbao/sanbao/platform/store"

// Version is the layout version of the ticket service's file. 2: the order indexes ("by" in
// TicketIndex), built for every ticket when a file of layout 1 is opened.
const Version = 2

// Buckets of the ticket service.
var (
	// Tickets: id → ticketv1.Ticket.
	Tickets = []byte("tickets")
	// Numbers: human number (ticket or complaint) → ticket id.
	Numbers = []byte("ticket_numbers")
	// Sequences: "T-2026" → next number (big-endian uint64).
	Sequences = []byte("sequences")
	// TicketIndex: index name, value, create time, id → nothing. One index per ListTickets
	// filter, so every page is a range scan. And the order indexes: "by", sort (due_time,
	// priority), sort value, create time, id → nothing.
	TicketIndex = []byte("ticket_index")
	// Repairs: serial, fault code → resolve time of the last resolution (repeat failures).
	Repairs = []byte("repairs")
	// KPI: slice ("all", "org:x", "region:y", "product_line:z"), creation hour → aggregate.
	KPI = []byte("kpi")
	// Contacts: ticket id, contact time, contact id → ticketv1.ContactRecord.
	Contacts = []byte("contacts")
	// Calendars: id → ticketv1.BusinessCalendar.
	Calendars = []byte("calendars")
	// Policies: id → ticketv1.ServicePolicy.
	Policies = []byte("service_policies")
	// FollowUps: id → ticketv1.FollowUp.
	FollowUps = []byte("follow_ups")
	// FollowUpIndex: index name, value, due date, id → id. One index per ListFollowUps filter,
	// ordered by due date.
	FollowUpIndex = []byte("follow_up_index")
	// FollowUpSources: what a follow-up is of ("delivery", unit id; "closed", ticket id,
	// closure; "revisit", programme id, n) → its id, so that each is made once.
	FollowUpSources = []byte("follow_up_sources")
	// Programmes: id → ticketv1.Programme.
	Programmes = []byte("programmes")
	// CampaignTickets: campaign id, unit id → the ticket raised for the unit (one per unit).
	CampaignTickets = []byte("campaign_tickets")
	// Attachments: id → ticketv1.Attachment (the bytes are in the content store under the id).
	Attachments = []byte("attachments")
	// AttachmentIndex: ticket id, attachment id → nothing (a ticket's attachments in order).
	AttachmentIndex = []byte("attachment_index")
	// UnitCodes: code → ticketv1.UnitCode; UnitCodeBySerial: unit serial → code.
	UnitCodes        = []byte("unit_codes")
	UnitCodeBySerial = []byte("unit_code_by_serial")
	// CustomerOTPs: unit code → the pending one-time code (JSON of domain.OTP).
	CustomerOTPs = []byte("customer_otps")
	// CustomerSessions: no longer written (a customer's session is a token the service signs,
	// auth.CustomerTokens); kept so that stores made before open unchanged.
	CustomerSessions = []byte("customer_sessions")
)

// Schema is the store layout.
func Schema() store.Schema {
	return store.Schema{Version: Version, Buckets: [][]byte{Tickets, Numbers, Sequences, TicketIndex, Repairs, KPI,
		Contacts, Calendars, Policies, FollowUps, FollowUpIndex, FollowUpSources, Programmes, CampaignTickets,
		Attachments, AttachmentIndex, UnitCodes, UnitCodeBySerial, CustomerOTPs, CustomerSessions},
		Upgrades: []store.Upgrade{{Version: 2, Name: "order indexes of the tickets (due time, priority)", Apply: orderIndexes}}}
}
