// Package contract checks properties of the Sanbao API contracts as a whole, from the proto
// descriptors of every service: that the largest event each service can publish, built from its
// validation bounds, fits NATS's payload limit.
package contract
