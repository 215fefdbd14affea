package evidence

import (
	"bytes"

	"github.com/kship/kship/internal/validate"
)

// JUnit (for the tests) renders a check report as JUnit XML (WriteJUnit into memory,
// without redaction).
func JUnit(r *validate.Report, info CheckInfo) ([]byte, error) {
	var b bytes.Buffer
	err := WriteJUnit(&b, r, info, nil)
	return b.Bytes(), err
}

// SARIF (for the tests) renders a check report as a SARIF 2.1.0 log (WriteSARIF into
// memory, without redaction).
func SARIF(r *validate.Report, info CheckInfo, baseDir string) ([]byte, error) {
	var b bytes.Buffer
	err := WriteSARIF(&b, r, info, baseDir, nil)
	return b.Bytes(), err
}
