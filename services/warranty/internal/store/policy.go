package store

import (
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	warrantyv1 "github.com/sanbao/sanbao/gen/sanbao/warranty/v1"
	"github.com/sanbao/sanbao/platform/auth"
	pstore "github.com/sanbao/sanbao/platform/store"
)

// ErrNotFound is returned for an unknown record.
var ErrNotFound = errors.New("not found")

func policyKey(id string, version int32) []byte {
	return pstore.Join([]byte(id), pstore.U64(uint64(version)))
}

// PutPolicy stores a policy version.
func PutPolicy(tx *bbolt.Tx, p *warrantyv1.Policy) error {
	auth.Stamp(tx, p, service, !pstore.Has(tx, bucketPolicies, policyKey(p.GetId(), p.GetVersion())))
	return pstore.PutProto(tx, bucketPolicies, policyKey(p.GetId(), p.GetVersion()), p)
}

// LatestPolicyVersion returns the highest version of policy id, 0 when there is none.
func LatestPolicyVersion(tx *bbolt.Tx, id string) (int32, error) {
	b, err := pstore.Bucket(tx, bucketPolicies)
	if err != nil {
		return 0, err
	}
	prefix := pstore.Prefix(id)
	c := b.Cursor()
	var last []byte
	for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
		last = k
	}
	if last == nil {
		return 0, nil
	}
	return int32(pstore.Uint64(last[len(prefix):])), nil
}

// GetPolicy returns version of policy id (the latest when version is 0).
func GetPolicy(tx *bbolt.Tx, id string, version int32) (*warrantyv1.Policy, error) {
	if version == 0 {
		v, err := LatestPolicyVersion(tx, id)
		if err != nil {
			return nil, err
		}
		if v == 0 {
			return nil, fmt.Errorf("policy %s: %w", id, ErrNotFound)
		}
		version = v
	}
	p := &warrantyv1.Policy{}
	ok, err := pstore.GetProto(tx, bucketPolicies, policyKey(id, version), p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("policy %s version %d: %w", id, version, ErrNotFound)
	}
	return p, nil
}

// ListPolicies returns a page of policies in id then version order: every version, or only the
// latest of each when allVersions is false; model filters by Policy.models.
func ListPolicies(tx *bbolt.Tx, model string, allVersions bool, token string, size int) ([]*warrantyv1.Policy, string, error) {
	var out []*warrantyv1.Policy
	next, err := pstore.Scan(tx, bucketPolicies, pstore.Page{Token: token, Size: size}, func(k, v []byte) (bool, error) {
		p := &warrantyv1.Policy{}
		if err := proto.Unmarshal(v, p); err != nil {
			return false, err
		}
		if !allVersions {
			latest, err := LatestPolicyVersion(tx, p.GetId())
			if err != nil || latest != p.GetVersion() {
				return false, err
			}
		}
		if model != "" && !contains(p.GetModels(), model) {
			return false, nil
		}
		out = append(out, p)
		return true, nil
	})
	return out, next, err
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// PolicyIDsByName maps the name of every policy's latest version to the ids of the policies
// whose latest version carries it (an import finds a policy by its name).
func PolicyIDsByName(tx *bbolt.Tx) (map[string][]string, error) {
	b, err := pstore.Bucket(tx, bucketPolicies)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	var last *warrantyv1.Policy
	flush := func() {
		if last != nil {
			out[last.GetName()] = append(out[last.GetName()], last.GetId())
		}
	}
	// Keys are id, separator, version: the last key of an id is its latest version.
	err = b.ForEach(func(k, v []byte) error {
		p := &warrantyv1.Policy{}
		if err := proto.Unmarshal(v, p); err != nil {
			return fmt.Errorf("policy %q: %w", k, err)
		}
		if last != nil && last.GetId() != p.GetId() {
			flush()
		}
		last = p
		return nil
	})
	flush()
	return out, err
}
