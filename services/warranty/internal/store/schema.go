// Package store keeps the warranty service's records in bbolt: policies by id and version,
// units with their serial, model, policy and dealer indexes, repairs by unit and by dispatch
// job, campaigns by model, recorded decisions, and what the cost report needs of
// parts-inventory: part costs, must-return old parts and supplier claims.
package store

import (
	pstore "github.com/sanbao/sanbao/platform/store"
)

// Buckets and index buckets. Values are binary protobuf of the API messages.
var (
	// policies: Key(policy id, U64(version)) → Policy.
	bucketPolicies = []byte("policies")
	// units: unit id → Unit.
	bucketUnits = []byte("units")
	// units_by_serial: serial (current and previous) → unit id.
	bucketUnitsBySerial = []byte("units_by_serial")
	// units_by_model: Key(model, unit id) → nothing.
	bucketUnitsByModel = []byte("units_by_model")
	// units_by_policy: Key(policy id, unit id) → nothing.
	bucketUnitsByPolicy = []byte("units_by_policy")
	// units_by_dealer: Key(dealer id, unit id) → nothing.
	bucketUnitsByDealer = []byte("units_by_dealer")
	// repairs: Key(unit id, repair id) → Repair.
	bucketRepairs = []byte("repairs")
	// repairs_by_job: Key(job id, unit id, repair id) → nothing.
	bucketRepairsByJob = []byte("repairs_by_job")
	// campaigns: campaign id → Campaign.
	bucketCampaigns = []byte("campaigns")
	// campaigns_by_model: Key(model, campaign id) → nothing.
	bucketCampaignsByModel = []byte("campaigns_by_model")
	// campaign_units: Key(campaign id, unit id) → CampaignUnit.
	bucketCampaignUnits = []byte("campaign_units")
	// campaign_units_by_unit: Key(unit id, campaign id) → nothing.
	bucketCampaignUnitsByUnit = []byte("campaign_units_by_unit")
	// campaign_progress: campaign id → CampaignProgress.
	bucketCampaignProgress = []byte("campaign_progress")
	// decisions: decision id → Decision (recorded claim decisions with their cost).
	bucketDecisions = []byte("decisions")
	// decisions_by_time: Key(TimeKey(evaluate time), decision id) → nothing (layout 2).
	bucketDecisionsByTime = []byte("decisions_by_time")
	// decisions_by_model: Key(model, TimeKey(evaluate time), decision id) → nothing (layout 2).
	bucketDecisionsByModel = []byte("decisions_by_model")
	// repairs_by_time: Key(TimeKey(create time), unit id, repair id) → nothing (layout 2).
	bucketRepairsByTime = []byte("repairs_by_time")
	// units_by_batch: Key(batch, model, unit id) → nothing (layout 2).
	bucketUnitsByBatch = []byte("units_by_batch")
	// part_costs: part id → Money, parts-inventory's unit cost (from part.created/updated).
	bucketPartCosts = []byte("part_costs")
	// old_parts: Key(job id, return id) → inventory OldPartReturn (must-return obligations).
	bucketOldParts = []byte("old_parts")
	// supplier_claims: Key(job id, claim id) → inventory SupplierClaim (resolved ones).
	bucketSupplierClaims = []byte("supplier_claims")
)

// Schema is the store layout; Version changes with an incompatible layout.
var Schema = pstore.Schema{
	Version: 2,
	Buckets: [][]byte{bucketPolicies, bucketUnits, bucketUnitsBySerial, bucketUnitsByModel, bucketUnitsByPolicy,
		bucketUnitsByDealer, bucketRepairs, bucketRepairsByJob, bucketCampaigns, bucketCampaignsByModel, bucketDecisions,
		bucketPartCosts, bucketOldParts, bucketSupplierClaims, bucketCampaignUnits, bucketCampaignUnitsByUnit,
		bucketCampaignProgress, bucketDecisionsByTime, bucketDecisionsByModel, bucketRepairsByTime, bucketUnitsByBatch},
	Upgrades: []pstore.Upgrade{{Version: 2, Name: "index decisions and repairs by time, units by batch (the cost report)", Apply: indexForCost}},
}

// service names the warranty service's own work on a record when no person is behind it
// (auth.Stamp).
const service = "warranty"
