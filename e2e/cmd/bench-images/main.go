// Command bench-images measures the image store inside a booted test host
// with Debian's docker-registry on loopback: unpacking against `tar -xf`
// of the same layers, pulling against `skopeo copy` to a directory, the
// start of a second pod from an unpacked image, and the disk use of images
// sharing a base. It prints one line per figure, with ratios.
package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/podunit/podunit/e2e/testhost"
	"github.com/podunit/podunit/images/imagetest"
)

func main() {
	bin := flag.String("binary", "bin/podunit", "podunit binary to run in the test host")
	layers := flag.Int("layers", 8, "layers of the large image")
	files := flag.Int("files", 1000, "files per layer (32 KiB each, random)")
	pullRounds = flag.Int("pulls", 5, "pulls of each contender (alternating)")
	flag.Parse()
	if err := run(*bin, *layers, *files); err != nil {
		fmt.Fprintln(os.Stderr, "bench-images:", err)
		os.Exit(1)
	}
}

type bench struct {
	ctx context.Context
	h   *testhost.Host
}

var pullRounds *int

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func (b *bench) sh(script string) (string, error) { return b.h.Shell(b.ctx, script) }

// timed runs script and returns how long it took.
func (b *bench) timed(script string) (time.Duration, error) {
	start := time.Now()
	_, err := b.sh(script)
	return time.Since(start), err
}

func run(bin string, nLayers, nFiles int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	h, err := testhost.Start(ctx, testhost.WithBinary(bin))
	if err != nil {
		return err
	}
	defer h.Shutdown()
	b := &bench{ctx: ctx, h: h}

	fmt.Printf("building a %d-layer image (%d x 32 KiB random files per layer)\n", nLayers, nFiles)
	img, err := imagetest.OCIImage()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(h.Scratch(), "tars"), 0o755); err != nil {
		return err
	}
	var total int64
	for l := 0; l < nLayers; l++ {
		var entries []imagetest.Entry
		for f := 0; f < nFiles; f++ {
			buf := make([]byte, 32<<10)
			rand.Read(buf)
			entries = append(entries, imagetest.File(fmt.Sprintf("data/l%d/d%d/f%d", l, f/100, f), string(buf)))
		}
		data, err := imagetest.LayerTar(entries...)
		if err != nil {
			return err
		}
		total += int64(len(data))
		if err := os.WriteFile(filepath.Join(h.Scratch(), "tars", fmt.Sprintf("%02d.tar", l)), data, 0o644); err != nil {
			return err
		}
		if img, err = mutate.AppendLayers(img, static.NewLayer(data, types.OCIUncompressedLayer)); err != nil {
			return err
		}
	}
	if err := imagetest.WriteLayout(filepath.Join(h.Scratch(), "big"), "x/big:1", img); err != nil {
		return err
	}
	mb := float64(total) / (1 << 20)

	// Unpack: podunit image load of the layout vs tar -xf of the same tars,
	// both onto /var/lib (real disk), both ending with the data on disk.
	tTar, err := b.timed(`mkdir -p /var/lib/tarbench && cd /var/lib/tarbench && for f in /scratch/tars/*.tar; do tar -xf $f; done && sync -f .`)
	if err != nil {
		return err
	}
	if _, err := b.sh("rm -rf /var/lib/tarbench; sync"); err != nil {
		return err
	}
	tLoad, err := b.timed("podunit image load /scratch/big >/dev/null 2>&1")
	if err != nil {
		return err
	}
	fmt.Printf("unpack %.0f MiB in %d layers: podunit %.2fs (%.0f MiB/s), tar -xf %.2fs (%.0f MiB/s): %.2fx tar's throughput\n",
		mb, nLayers, tLoad.Seconds(), mb/tLoad.Seconds(), tTar.Seconds(), mb/tTar.Seconds(), tTar.Seconds()/tLoad.Seconds())

	// Pull from the loopback registry vs skopeo copy to a directory.
	conf := "version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: /var/lib/reg}}\nhttp: {addr: '127.0.0.1:5000'}\n"
	if err := os.WriteFile(filepath.Join(h.Scratch(), "reg.yml"), []byte(conf), 0o644); err != nil {
		return err
	}
	if _, err := b.sh("systemd-run --unit=reg docker-registry serve /scratch/reg.yml && for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/5000) 2>/dev/null && exit 0; sleep 0.1; done; exit 1"); err != nil {
		return err
	}
	if _, err := b.sh("skopeo copy --quiet --dest-tls-verify=false oci:/scratch/big:1 docker://127.0.0.1:5000/big:1"); err != nil {
		return err
	}
	// Alternating runs, each contender starting from nothing on disk; the
	// disk of these machines varies a lot from one run to the next.
	var skopeoRuns, pullRuns []time.Duration
	for range *pullRounds {
		left, err := b.sh("for i in x/big:1 127.0.0.1:5000/big:1; do podunit image rm $i >/dev/null 2>&1; done; podunit gc >/dev/null && rm -rf /var/lib/skopeo-dir && sync && podunit image list -o json | grep -c big; true")
		if err != nil {
			return err
		}
		if strings.TrimSpace(left) != "0" {
			return fmt.Errorf("the big image is still in the store before a pull")
		}
		t, err := b.timed("skopeo copy --quiet --src-tls-verify=false docker://127.0.0.1:5000/big:1 dir:/var/lib/skopeo-dir && sync -f /var/lib/skopeo-dir")
		if err != nil {
			return err
		}
		skopeoRuns = append(skopeoRuns, t)
		if t, err = b.timed("podunit image pull 127.0.0.1:5000/big:1 >/dev/null 2>&1"); err != nil {
			return err
		}
		pullRuns = append(pullRuns, t)
	}
	tSkopeo, tPull := median(skopeoRuns), median(pullRuns)
	fmt.Printf("pull %.0f MiB in %d layers from loopback, median of %d: podunit (download + unpack) %.2fs, skopeo copy to dir: (download only) %.2fs: podunit takes %.2fx skopeo's time\n",
		mb, nLayers+1, len(pullRuns), tPull.Seconds(), tSkopeo.Seconds(), tPull.Seconds()/tSkopeo.Seconds())

	// Second pod from an unpacked image: apply does no layer work.
	pod := func(name string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n  containers:\n  - {name: c, image: 127.0.0.1:5000/big:1, command: [sleep, '1000']}\n", name)
	}
	for _, n := range []string{"first", "second"} {
		if err := os.WriteFile(filepath.Join(h.Scratch(), n+".yaml"), []byte(pod(n)), 0o644); err != nil {
			return err
		}
	}
	before, err := b.sh("ls /var/lib/podunit/images/layers | wc -l")
	if err != nil {
		return err
	}
	tFirst, err := b.timed("podunit apply -f /scratch/first.yaml")
	if err != nil {
		return err
	}
	tSecond, err := b.timed("podunit apply -f /scratch/second.yaml")
	if err != nil {
		return err
	}
	after, _ := b.sh("ls /var/lib/podunit/images/layers | wc -l")
	fmt.Printf("pod start from the unpacked %d-layer image: first %.0f ms, second %.0f ms (layer dirs before %s, after %s: no layer work)\n",
		nLayers+1, ms(tFirst), ms(tSecond), strings.TrimSpace(before), strings.TrimSpace(after))
	if _, err := b.sh("podunit delete first second"); err != nil {
		return err
	}

	// Disk use: 10 images on one base.
	base, err := imagetest.OCIImage()
	if err != nil {
		return err
	}
	for i := 0; i < 10; i++ {
		data, err := imagetest.LayerTar(imagetest.File(fmt.Sprintf("app%d", i), strings.Repeat("x", 1<<20)))
		if err != nil {
			return err
		}
		var im v1.Image
		if im, err = mutate.AppendLayers(base, static.NewLayer(data, types.OCIUncompressedLayer)); err != nil {
			return err
		}
		if err := imagetest.WriteLayout(filepath.Join(h.Scratch(), "ten"), fmt.Sprintf("x/app:%d", i), im); err != nil {
			return err
		}
		if _, err := b.sh(fmt.Sprintf("skopeo copy --quiet --dest-tls-verify=false oci:/scratch/ten:%d docker://127.0.0.1:5000/app:%d && podunit image pull 127.0.0.1:5000/app:%d >/dev/null 2>&1", i, i, i)); err != nil {
			return err
		}
	}
	out, err := b.sh("podunit image list -o json")
	if err != nil {
		return err
	}
	var rows []struct {
		Repository string `json:"repository"`
		Size       int64  `json:"size"`
	}
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		return err
	}
	var sum int64
	for _, r := range rows {
		if strings.HasSuffix(r.Repository, "/app") {
			sum += r.Size
		}
	}
	du, err := b.sh("podunit image rm 127.0.0.1:5000/big:1 x/big:1 >/dev/null 2>&1; podunit gc >/dev/null; du -sk --apparent-size /var/lib/podunit/images/layers | cut -f1")
	if err != nil {
		return err
	}
	kb, _ := strconv.ParseInt(strings.TrimSpace(du), 10, 64)
	fmt.Printf("10 images sharing one base: layers on disk %.1f MiB (includes the busybox test image), sum of image sizes %.1f MiB: %.2fx\n",
		float64(kb)/1024, float64(sum)/(1<<20), float64(kb<<10)/float64(sum))
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
