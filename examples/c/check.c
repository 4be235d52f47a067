/* check POLICY FILE: validates one safetensors file with the stguard C API.
 * Exit status: 0 accepted, 1 rejected, 2 error (bad policy, unreadable file).
 *
 * Build against an installed stguard:
 *   cc check.c -o check $(pkg-config --cflags --libs stguard)
 */
#include <stdio.h>
#include <stguard/stguard.h>

static void print_escaped(const char* text, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    const unsigned char c = (unsigned char)text[i];
    if (c < 0x20 || c == 0x7f || c == '\\') {
      printf("\\x%02x", c);
    } else {
      putchar(c);
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s POLICY FILE   (POLICY: compat, default, strict or a file)\n",
            argv[0]);
    return 2;
  }
  stguard_policy* policy = NULL;
  stguard_status status = stguard_policy_resolve(argv[1], &policy);
  if (status != STGUARD_OK) {
    fprintf(stderr, "check: bad policy: %s\n", stguard_last_error());
    return 2;
  }
  stguard_report* report = NULL;
  status = stguard_validate_file(policy, argv[2], &report);
  if (status != STGUARD_OK) {
    fprintf(stderr, "check: %s: %s\n", stguard_status_string(status), stguard_last_error());
    stguard_policy_free(policy);
    return 2;
  }
  stguard_verdict verdict = STGUARD_VERDICT_REJECT;
  size_t count = 0;
  if (stguard_report_verdict(report, &verdict) != STGUARD_OK ||
      stguard_report_finding_count(report, &count) != STGUARD_OK) {
    fprintf(stderr, "check: %s\n", stguard_last_error());
    stguard_report_free(report);
    stguard_policy_free(policy);
    return 2;
  }
  printf("%s: %s (stguard %s)\n", argv[2],
         verdict == STGUARD_VERDICT_ACCEPT ? "accept" : "reject", stguard_version());
  for (size_t i = 0; i < count; ++i) {
    stguard_finding f;
    if (stguard_report_finding(report, i, &f) != STGUARD_OK) continue;
    static const char* const kSeverity[] = {"info", "warning", "error"};
    printf("  %u %s %s at %llu", f.code, f.id, kSeverity[f.severity],
           (unsigned long long)f.offset);
    if (f.has_tensor) {
      printf(" tensor \"");
      print_escaped(f.tensor, f.tensor_length);
      printf("\"");
    }
    printf(": %s\n", f.message);
  }
  stguard_report_free(report);
  stguard_policy_free(policy);
  return verdict == STGUARD_VERDICT_ACCEPT ? 0 : 1;
}
