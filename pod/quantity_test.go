package pod

import (
	"strings"
	"testing"
)

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in   string
		want string // big.Rat.RatString
	}{
		{"1", "1"}, {"0", "0"}, {"500m", "1/2"}, {"0.5", "1/2"}, {".5", "1/2"}, {"1.", "1"},
		{"+2", "2"}, {"-1", "-1"}, {"1k", "1000"}, {"1M", "1000000"}, {"1G", "1000000000"},
		{"1T", "1000000000000"}, {"1P", "1000000000000000"}, {"1E", "1000000000000000000"},
		{"1Ki", "1024"}, {"1Mi", "1048576"}, {"1.5Gi", "1610612736"}, {"1Ti", "1099511627776"},
		{"1Pi", "1125899906842624"}, {"1Ei", "1152921504606846976"},
		{"1e3", "1000"}, {"1E3", "1000"}, {"1e-3", "1/1000"}, {"2.5e+2", "250"}, {"1e0", "1"},
		{"0.1m", "1/10000"},
	}
	for _, tt := range tests {
		got, err := ParseQuantity(tt.in)
		if err != nil {
			t.Errorf("ParseQuantity(%q): %v", tt.in, err)
			continue
		}
		if got.RatString() != tt.want {
			t.Errorf("ParseQuantity(%q) = %s, want %s", tt.in, got.RatString(), tt.want)
		}
	}
}

func TestParseQuantityErrors(t *testing.T) {
	tests := map[string]string{
		"":                      `invalid quantity "": empty`,
		"abc":                   `invalid quantity "abc": want a number with an optional suffix such as 500m, 1.5, 128Mi or 1e3`,
		".":                     `invalid quantity ".": want a number with an optional suffix such as 500m, 1.5, 128Mi or 1e3`,
		"1Gb":                   `invalid quantity "1Gb": unknown suffix "Gb" (want m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)`,
		"1 Gi":                  `invalid quantity "1 Gi": unknown suffix " Gi" (want m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)`,
		"1e":                    `invalid quantity "1e": unknown suffix "e" (want m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)`,
		"1e+":                   `invalid quantity "1e+": unknown suffix "e+"`,
		"1e1.5":                 `invalid quantity "1e1.5": unknown suffix "e1.5"`,
		"1e65":                  `invalid quantity "1e65": exponent out of range`,
		"1e1000":                `invalid quantity "1e1000": exponent out of range`,
		"0x10":                  `invalid quantity "0x10": unknown suffix "x10" (want m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent such as e3)`,
		"--1":                   `invalid quantity "--1": want a number with an optional suffix such as 500m, 1.5, 128Mi or 1e3`,
		strings.Repeat("1", 65): `invalid quantity "1111111111111111111111111111111111111111…": too long`,
	}
	for in, want := range tests {
		_, err := ParseQuantity(in)
		if err == nil || err.Error() != want {
			t.Errorf("ParseQuantity(%q) error = %v, want %s", in, err, want)
		}
	}
}

func TestQuantityConversions(t *testing.T) {
	tests := []struct {
		cpu, mem       string
		millis, bytes  int64
		cpuSet, memSet bool
		cpuErr, memErr string
	}{
		{cpu: "", mem: ""},
		{cpu: "1", mem: "128Mi", millis: 1000, bytes: 128 << 20, cpuSet: true, memSet: true},
		{cpu: "250m", mem: "1G", millis: 250, bytes: 1e9, cpuSet: true, memSet: true},
		{cpu: "0.0001", mem: "0.5", millis: 1, bytes: 1, cpuSet: true, memSet: true},
		{cpu: "1.5", mem: "1e3", millis: 1500, bytes: 1000, cpuSet: true, memSet: true},
		{cpu: "0", mem: "-1", cpuSet: true, memSet: true,
			cpuErr: `quantity "0" must be greater than zero`, memErr: `quantity "-1" must be greater than zero`},
		{cpu: "10E", mem: "8Ei", cpuSet: true, memSet: true,
			cpuErr: `quantity "10E" is too large`, memErr: `quantity "8Ei" is too large`},
	}
	errString := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	for _, tt := range tests {
		r := ResourceList{CPU: tt.cpu, Memory: tt.mem}
		m, set, err := r.CPUMillis()
		if m != tt.millis || set != tt.cpuSet || errString(err) != tt.cpuErr {
			t.Errorf("CPUMillis(%q) = %d, %v, %v", tt.cpu, m, set, err)
		}
		b, set, err := r.MemoryBytes()
		if b != tt.bytes || set != tt.memSet || errString(err) != tt.memErr {
			t.Errorf("MemoryBytes(%q) = %d, %v, %v", tt.mem, b, set, err)
		}
		b, set, err = EmptyDirVolumeSource{SizeLimit: tt.mem}.SizeLimitBytes()
		if b != tt.bytes || set != tt.memSet || errString(err) != tt.memErr {
			t.Errorf("SizeLimitBytes(%q) = %d, %v, %v", tt.mem, b, set, err)
		}
	}
}
