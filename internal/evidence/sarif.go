package evidence

import (
	"io"
	"path/filepath"
	"strings"

	"github.com/kship/kship/internal/validate"
)

// SARIF 2.1.0 document types (only the parts kship writes).
type (
	sarifTool struct {
		Driver sarifDriver `json:"driver"`
	}
	sarifDriver struct {
		Name           string      `json:"name"`
		InformationURI string      `json:"informationUri"`
		Version        string      `json:"version,omitempty"`
		Rules          []sarifRule `json:"rules"`
	}
	sarifRule struct {
		ID               string       `json:"id"`
		Name             string       `json:"name"`
		ShortDescription sarifMessage `json:"shortDescription"`
		DefaultConfig    sarifConfig  `json:"defaultConfiguration"`
	}
	sarifConfig struct {
		Level string `json:"level"`
	}
	sarifMessage struct {
		Text string `json:"text"`
	}
	sarifResult struct {
		RuleID    string          `json:"ruleId"`
		RuleIndex int             `json:"ruleIndex"`
		Kind      string          `json:"kind"`
		Level     string          `json:"level"`
		Message   sarifMessage    `json:"message"`
		Locations []sarifLocation `json:"locations,omitempty"`
	}
	sarifLocation struct {
		Physical sarifPhysical `json:"physicalLocation"`
	}
	sarifPhysical struct {
		Artifact sarifArtifact `json:"artifactLocation"`
		Region   *sarifRegion  `json:"region,omitempty"`
	}
	sarifArtifact struct {
		URI string `json:"uri"`
	}
	sarifRegion struct {
		StartLine int `json:"startLine"`
	}
)

// WriteSARIF writes a check report as a SARIF 2.1.0 log for code-scanning
// annotations, in one streaming pass: one rule per check family, one
// result per item (one per line). Failures are level "error" and warnings "warning"
// (kind "fail"); passes are kind "pass" with level "none", as SARIF
// requires for results that are not failures. File paths are resolved
// against info.SourceDir and made relative to baseDir (the repository
// root) where they lie under it.
func WriteSARIF(w io.Writer, r *validate.Report, info CheckInfo, baseDir string, red *Redactor) error {
	fams := Families(r)
	driver := sarifDriver{Name: "kship", InformationURI: "https://github.com/kship/kship", Version: info.ToolVersion, Rules: []sarifRule{}}
	for _, f := range fams {
		driver.Rules = append(driver.Rules, sarifRule{ID: f.ID, Name: ruleName(f.ID),
			ShortDescription: sarifMessage{Text: f.Title}, DefaultConfig: sarifConfig{Level: defaultLevel(f.ID)}})
	}
	s := &stream{w: w, red: red}
	s.raw("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": ")
	s.json(sarifTool{Driver: driver}, "      ")
	s.raw(",\n      \"results\": [")
	n := 0
	for i, f := range fams {
		for _, c := range f.Checks {
			if n > 0 {
				s.raw(",")
			}
			s.raw("\n        ")
			s.line(sarifResultOf(c, i, info.SourceDir, baseDir))
			n++
		}
	}
	if n > 0 {
		s.raw("\n      ")
	}
	s.raw("]\n    }\n  ]\n}\n")
	return s.err
}

func sarifResultOf(c validate.Check, rule int, srcDir, baseDir string) sarifResult {
	res := sarifResult{RuleID: c.ID, RuleIndex: rule, Kind: "fail", Message: sarifMessage{Text: c.Message}}
	switch c.Status {
	case validate.Fail:
		res.Level = "error"
	case validate.Warn:
		res.Level = "warning"
	default:
		res.Kind, res.Level = "pass", "none"
	}
	if c.Evidence != "" && c.Evidence != c.Message {
		res.Message.Text += " (checked: " + c.Evidence + ")"
	}
	if c.Source.File != "" {
		loc := sarifLocation{Physical: sarifPhysical{Artifact: sarifArtifact{URI: relURI(c.Source.File, srcDir, baseDir)}}}
		if c.Source.Line > 0 {
			loc.Physical.Region = &sarifRegion{StartLine: c.Source.Line}
		}
		res.Locations = []sarifLocation{loc}
	}
	return res
}

// ruleName turns a family ID into a SARIF rule name: "api-version" → "ApiVersion".
func ruleName(id string) string {
	var b strings.Builder
	for _, p := range strings.Split(id, "-") {
		if p != "" {
			b.WriteString(strings.ToUpper(p[:1]) + p[1:])
		}
	}
	return b.String()
}

func defaultLevel(id string) string {
	if id == validate.IDHygiene {
		return "warning"
	}
	return "error"
}

// relURI resolves file against srcDir (the folder check sources are
// relative to) and names it relative to baseDir when it lies under it.
func relURI(file, srcDir, baseDir string) string {
	if srcDir != "" && !filepath.IsAbs(file) {
		file = filepath.Join(srcDir, file)
	}
	if baseDir != "" && filepath.IsAbs(file) {
		if rel, err := filepath.Rel(baseDir, file); err == nil && !strings.HasPrefix(rel, "..") {
			file = rel
		}
	}
	return filepath.ToSlash(file)
}
