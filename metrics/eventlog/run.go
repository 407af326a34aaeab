package eventlog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
)

type runKey struct{}

// WithRun returns a copy of ctx whose events belong to the run id. It takes
// precedence over a "run_id" field bound with logctx.With. An empty id leaves
// the run to the context's other sources.
func WithRun(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, runKey{}, id)
}

// RunFromContext returns the run id bound with WithRun, and false when there
// is none.
func RunFromContext(ctx context.Context) (string, bool) {
	id, ok := ctx.Value(runKey{}).(string)
	return id, ok && id != ""
}

// maxDirName bounds the length of a run's directory name, well under the 255
// bytes most file systems allow.
const maxDirName = 200

// RunDir returns the directory name used for run id: the id itself when it
// is made only of ASCII letters, digits, '.', '_' and '-' (and is neither "."
// nor ".."), else the id with every other byte written as %XX. An escaped
// name longer than 200 bytes is cut and given a hash suffix. The result never
// contains a path separator and is never "", "." or "..", so it always names
// a directory directly under the collector's directory.
func RunDir(id string) string {
	switch id {
	case "":
		return "%00"
	case ".":
		return "%2E"
	case "..":
		return "%2E%2E"
	}
	clean := true
	for i := 0; i < len(id); i++ {
		if !safeByte(id[i]) {
			clean = false
			break
		}
	}
	name := id
	if !clean {
		const hexdigits = "0123456789ABCDEF"
		b := make([]byte, 0, len(id)+16)
		for i := 0; i < len(id); i++ {
			c := id[i]
			if safeByte(c) {
				b = append(b, c)
				continue
			}
			b = append(b, '%', hexdigits[c>>4], hexdigits[c&15])
		}
		name = string(b)
	}
	if len(name) > maxDirName {
		sum := sha256.Sum256([]byte(id))
		cut := maxDirName - 17
		// Do not cut an escape in half.
		for i := cut - 2; i < cut; i++ {
			if i >= 0 && name[i] == '%' {
				cut = i
				break
			}
		}
		name = name[:cut] + "-" + hex.EncodeToString(sum[:8])
	}
	return name
}

func safeByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

var adjectives = [...]string{
	"amber", "bold", "brave", "bright", "calm", "clever", "crisp", "daring",
	"eager", "fleet", "gentle", "golden", "hardy", "keen", "lively", "lucky",
	"mellow", "nimble", "noble", "patient", "proud", "quick", "quiet", "rapid",
	"silent", "sleek", "steady", "sunny", "swift", "tidy", "vivid", "witty",
}

var animals = [...]string{
	"badger", "beaver", "bison", "cheetah", "cougar", "crane", "dolphin", "eagle",
	"falcon", "ferret", "finch", "fox", "gecko", "heron", "ibis", "jaguar",
	"koala", "lemur", "lynx", "marten", "newt", "otter", "owl", "panda",
	"puffin", "raven", "seal", "stoat", "tiger", "walrus", "wolf", "yak",
}

// NewRunID returns a fresh human-readable run id such as
// "nimble-falcon-57ee1d": an adjective, an animal and 24 random bits in hex.
func NewRunID() string {
	a := randInt(len(adjectives))
	n := randInt(len(animals))
	var suffix [3]byte
	if _, err := rand.Read(suffix[:]); err != nil {
		return fmt.Sprintf("%s-%s-000000", adjectives[a], animals[n])
	}
	return adjectives[a] + "-" + animals[n] + "-" + hex.EncodeToString(suffix[:])
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0
	}
	return int(v.Int64())
}
