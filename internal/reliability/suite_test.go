package reliability

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// TestSuite runs the reliability and security suite, items 1 to 7 of the design, and
// logs the summary table at the end (with -v, or on failure). The long suite also
// writes it to REPORT.md.
func TestSuite(t *testing.T) {
	sc := currentScale()
	sum := &summary{}
	t.Logf("%v", sc)
	w := &world{dir: t.TempDir()}
	t.Run("1 kill torture", func(t *testing.T) { testKillTorture(t, sum, sc) })
	t.Run("2 receiver faults", func(t *testing.T) { testFaultMatrix(t, w, sum) })
	t.Run("3 bad buffers", func(t *testing.T) { testBadBuffers(t, w, sum) })
	t.Run("3 symlinks", func(t *testing.T) { testSymlinks(t, sum) })
	t.Run("4 hostile relation data", func(t *testing.T) { testHostileRelationData(t, sum) })
	t.Run("5 secret sentinels", func(t *testing.T) { testSecretSentinels(t, w, sum) })
	t.Run("6 two processes on one buffer", func(t *testing.T) { testTwoProcessesOneBuffer(t, w, sum, sc) })
	t.Run("6 many units under 429", func(t *testing.T) { testManyUnits(t, w, sum, sc) })
	t.Run("7 permissions", func(t *testing.T) { testPermissions(t, sum) })
	t.Log("summary:\n" + sum.markdown())
	if long() {
		header := fmt.Sprintf("%v. %s, %d CPUs, %s/%s, %s.", sc, runtime.Version(), runtime.NumCPU(),
			runtime.GOOS, runtime.GOARCH, time.Now().UTC().Format(time.DateOnly))
		if err := sum.writeReport(header); err != nil {
			t.Error(err)
		}
	}
}
