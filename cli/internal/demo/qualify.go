package demo

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/types/known/timestamppb"

	dispatchv1 "github.com/sanbao/sanbao/gen/sanbao/dispatch/v1"
)

// Qualify records a finished training (three months to one month before the technician was
// created, on the service's clock) and a passed assessment the day before, for every product
// line of tech: dispatch assigns a line only to a technician qualified for it (seed 002).
// rid prefixes the request ids.
func (c *Clients) Qualify(ctx context.Context, tech *dispatchv1.Technician, rid string) error {
	now := tech.GetCreateTime().AsTime()
	for i, ps := range tech.GetSkills() {
		line := ps.GetProductLine()
		if _, err := c.Dispatch.RecordTraining(ctx, &dispatchv1.RecordTrainingRequest{
			RequestId: fmt.Sprintf("%s-train-%d", rid, i), TechnicianId: tech.GetId(), ProductLine: line,
			StartTime: timestamppb.New(now.AddDate(0, -3, 0)), EndTime: timestamppb.New(now.AddDate(0, -1, 0)),
		}); err != nil {
			return fmt.Errorf("record training: %w", err)
		}
		if _, err := c.Dispatch.RecordAssessment(ctx, &dispatchv1.RecordAssessmentRequest{
			RequestId: fmt.Sprintf("%s-assess-%d", rid, i), TechnicianId: tech.GetId(), ProductLine: line,
			AssessedTime: timestamppb.New(now.AddDate(0, 0, -1)), Passed: true,
		}); err != nil {
			return fmt.Errorf("record assessment: %w", err)
		}
	}
	return nil
}
