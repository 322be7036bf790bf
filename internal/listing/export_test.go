package listing

// CompareHealth is compareHealth, for the tests of package listing_test.
var CompareHealth = compareHealth
