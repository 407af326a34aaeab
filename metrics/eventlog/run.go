package eventlog

import (
	"crypto/sha256"
	"encoding/hex"
)

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
