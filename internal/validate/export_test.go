package validate

// What the external tests (package validate_test, which may import
// evidence, a package that imports validate) share with the internal ones.
var (
	TestRelease    = testRelease
	RunInput       = runInput
	FamilyProblems = familyProblems
	AssertProblems = assertProblems
)

// Bundles of the internal tests the external ones use too.
const (
	GoodDeployment = goodDeployment
	MigrationJobs  = migrationJobs
)
