/*
 * Run-time CPU feature detection. A feature counts only if the CPU reports it (CPUID) and the
 * OS saves the registers it needs across context switches (XGETBV): a kernel with AVX enabled
 * in CPUID but not in XCR0 would fault on its first instruction.
 */
#include "deepq.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

static uint64_t xgetbv0(void) {
  uint32_t lo, hi;
  /* The raw opcode of xgetbv, so this file needs no -mxsave. */
  __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
  return ((uint64_t)hi << 32) | lo;
}

unsigned dq_cpu_features(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
  const int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
  if (!osxsave || !avx) return 0;
  const uint64_t xcr0 = xgetbv0();
  if ((xcr0 & 0x6) != 0x6) return 0; /* XMM and YMM state */
  unsigned out = fma ? DQ_CPU_FMA : 0;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return out;
  if ((b >> 5) & 1) out |= DQ_CPU_AVX2;
  if ((xcr0 & 0xe0) == 0xe0) { /* opmask, upper halves of ZMM0-15, ZMM16-31 */
    if ((b >> 16) & 1) out |= DQ_CPU_AVX512F;
    if ((b >> 17) & 1) out |= DQ_CPU_AVX512DQ;
    if ((b >> 30) & 1) out |= DQ_CPU_AVX512BW;
    if ((b >> 31) & 1) out |= DQ_CPU_AVX512VL;
  }
  return out;
}
#else
unsigned dq_cpu_features(void) { return 0; }
#endif
