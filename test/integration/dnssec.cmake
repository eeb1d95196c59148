# DNSSEC on a real chain: zones signed at test time (ldnsutils), NSD, and a
# validating Unbound with a local trust anchor.
va_integration_test(dnssec_integration_test SOURCES dnssec_integration_test.cc)
