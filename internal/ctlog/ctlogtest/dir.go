package ctlogtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/certhunt/certhunt/internal/ctlog"
)

func readFile(dir, rel string) ([]byte, error) {
	return os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
}

// readHashTiles reads the level-0 hash tiles of a tile directory in order: full tiles
// 0, 1, ... and then the partial tile after the last full one, if any.
func readHashTiles(dir string) ([][32]byte, error) {
	var hashes [][32]byte
	for n := int64(0); ; n++ {
		full := strings.Replace(ctlog.TilePath(n, ctlog.TileWidth), "tile/data/", "tile/0/", 1)
		data, err := readFile(dir, full)
		if err == nil {
			if len(data) != 32*ctlog.TileWidth {
				return nil, fmt.Errorf("ctlogtest: %s holds %d bytes, want %d", full, len(data), 32*ctlog.TileWidth)
			}
			hashes = appendHashes(hashes, data)
			continue
		}
		for w := ctlog.TileWidth - 1; w > 0; w-- {
			p := strings.Replace(ctlog.TilePath(n, w), "tile/data/", "tile/0/", 1)
			if data, err := readFile(dir, p); err == nil && len(data) == 32*w {
				hashes = appendHashes(hashes, data)
				break
			}
		}
		if len(hashes) == 0 {
			return nil, fmt.Errorf("ctlogtest: no level-0 hash tiles under %s", dir)
		}
		return hashes, nil
	}
}

func appendHashes(hashes [][32]byte, data []byte) [][32]byte {
	for i := 0; i < len(data); i += 32 {
		var h [32]byte
		copy(h[:], data[i:])
		hashes = append(hashes, h)
	}
	return hashes
}
