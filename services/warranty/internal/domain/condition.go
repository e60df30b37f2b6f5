package domain

import (
	"fmt"
	"slices"

	"cel.dev/cel-go/cel"
)

// Engine compiles policies: it holds the CEL environment that custom conditions are type-checked
// against. Build one with NewEngine and share it; it is safe for concurrent use.
type Engine struct {
	env *cel.Env
}

// The CEL variables a custom condition may use.
const (
	varFaultCode        = "fault_code"
	varCauses           = "causes"
	varRequestedRemedy  = "requested_remedy"
	varSerial           = "serial"
	varModel            = "model"
	varBatch            = "batch"
	varRunningHours     = "running_hours"
	varDaysSinceSale    = "days_since_sale"
	varDaysSinceStart   = "days_since_start"
	varRepairsSameFault = "repairs_same_fault"
	varRepairsTotal     = "repairs_total"
	varInFreePeriod     = "in_free_period"
	varAttributes       = "attributes"
)

// conditionCostLimit bounds the work of one condition evaluation, so no policy can make claim
// evaluation slow.
const conditionCostLimit = 100_000

// NewEngine builds the CEL environment of custom conditions.
func NewEngine() (*Engine, error) {
	env, err := cel.NewEnv(
		cel.Variable(varFaultCode, cel.StringType),
		cel.Variable(varCauses, cel.ListType(cel.StringType)),
		cel.Variable(varRequestedRemedy, cel.StringType),
		cel.Variable(varSerial, cel.StringType),
		cel.Variable(varModel, cel.StringType),
		cel.Variable(varBatch, cel.StringType),
		cel.Variable(varRunningHours, cel.DoubleType),
		cel.Variable(varDaysSinceSale, cel.IntType),
		cel.Variable(varDaysSinceStart, cel.IntType),
		cel.Variable(varRepairsSameFault, cel.IntType),
		cel.Variable(varRepairsTotal, cel.IntType),
		cel.Variable(varInFreePeriod, cel.BoolType),
		cel.Variable(varAttributes, cel.MapType(cel.StringType, cel.StringType)),
	)
	if err != nil {
		return nil, fmt.Errorf("cel environment: %w", err)
	}
	return &Engine{env: env}, nil
}

type compiledCondition struct {
	CustomCondition
	prg cel.Program
}

// maxExpressionLen bounds a condition's source text.
const maxExpressionLen = 2000

func (e *Engine) compileConditions(vs *violations, conds []CustomCondition) []compiledCondition {
	if len(conds) > 50 {
		vs.add("custom_conditions", "must have at most 50 conditions, got %d", len(conds))
		return nil
	}
	out := make([]compiledCondition, 0, len(conds))
	for i, c := range conds {
		f := fmt.Sprintf("custom_conditions[%d]", i)
		if !clauseRE.MatchString(c.Clause) {
			vs.add(f+".clause", "must be lower snake case (a letter, then letters, digits or _), got %q", c.Clause)
		} else if slices.IndexFunc(conds[:i], func(o CustomCondition) bool { return o.Clause == c.Clause }) >= 0 {
			vs.add(f+".clause", "must be unique, %q is used by an earlier condition", c.Clause)
		}
		if !c.Effect.Valid() {
			vs.add(f+".effect", "must be EXCLUDE, COVER, CHARGE or ALLOW_REMEDY")
		}
		if c.Effect == EffectAllowRemedy && !c.Remedy.Valid() {
			vs.add(f+".remedy", "must name the remedy that clause %q allows", c.Clause)
		}
		if c.Explanation == "" {
			vs.add(f+".explanation", "must say what clause %q means for the customer", c.Clause)
		}
		if c.Expression == "" || len(c.Expression) > maxExpressionLen {
			vs.add(f+".expression", "clause %q: must be 1 to %d characters", c.Clause, maxExpressionLen)
			continue
		}
		ast, iss := e.env.Compile(c.Expression)
		if iss != nil && iss.Err() != nil {
			vs.add(f+".expression", "clause %q: does not compile: %v", c.Clause, iss.Err())
			continue
		}
		if ast.OutputType() != cel.BoolType {
			vs.add(f+".expression", "clause %q: must be a bool expression, got %s", c.Clause, ast.OutputType())
			continue
		}
		prg, err := e.env.Program(ast, cel.CostLimit(conditionCostLimit), cel.InterruptCheckFrequency(100))
		if err != nil {
			vs.add(f+".expression", "clause %q: cannot be planned: %v", c.Clause, err)
			continue
		}
		out = append(out, compiledCondition{CustomCondition: c, prg: prg})
	}
	return out
}

// conditionInput is what a custom condition sees of a claim.
type conditionInput struct {
	faultCode        string
	causes           []Cause
	requestedRemedy  Remedy
	serial           string
	model            string
	batch            string
	runningHours     float64
	daysSinceSale    int
	daysSinceStart   int
	repairsSameFault int
	repairsTotal     int
	inFreePeriod     bool
	attributes       map[string]string
}

func (in conditionInput) activation() map[string]any {
	causes := make([]string, len(in.causes))
	for i, c := range in.causes {
		causes[i] = c.String()
	}
	attrs := in.attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	return map[string]any{
		varFaultCode:        in.faultCode,
		varCauses:           causes,
		varRequestedRemedy:  in.requestedRemedy.String(),
		varSerial:           in.serial,
		varModel:            in.model,
		varBatch:            in.batch,
		varRunningHours:     in.runningHours,
		varDaysSinceSale:    int64(in.daysSinceSale),
		varDaysSinceStart:   int64(in.daysSinceStart),
		varRepairsSameFault: int64(in.repairsSameFault),
		varRepairsTotal:     int64(in.repairsTotal),
		varInFreePeriod:     in.inFreePeriod,
		varAttributes:       attrs,
	}
}

// matches evaluates the condition. An evaluation error (a missing attribute, the cost limit)
// counts as false and is reported so the decision can say so.
func (c compiledCondition) matches(act map[string]any) (bool, error) {
	out, _, err := c.prg.Eval(act)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	return ok && b, nil
}
