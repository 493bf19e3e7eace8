#include <cstdint>

#include "crmrules_sample/sample.hpp"

namespace crmrules::sample {
namespace {

constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
  return (x << k) | (x >> (64 - k));
}

// The full 128-bit product of a and b, as (high, low) words, without compiler extensions.
constexpr void mul_64x64(std::uint64_t a, std::uint64_t b, std::uint64_t& hi,
                         std::uint64_t& lo) noexcept {
  constexpr std::uint64_t mask = 0xFFFF'FFFFu;
  const std::uint64_t a_lo = a & mask;
  const std::uint64_t a_hi = a >> 32;
  const std::uint64_t b_lo = b & mask;
  const std::uint64_t b_hi = b >> 32;
  const std::uint64_t p0 = a_lo * b_lo;
  const std::uint64_t p1 = a_lo * b_hi;
  const std::uint64_t p2 = a_hi * b_lo;
  const std::uint64_t p3 = a_hi * b_hi;
  const std::uint64_t mid = (p0 >> 32) + (p1 & mask) + (p2 & mask);
  lo = (p0 & mask) | (mid << 32);
  hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
}

}  // namespace

std::uint64_t rng::splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E37'79B9'7F4A'7C15u);
  z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9u;
  z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EBu;
  return z ^ (z >> 31);
}

rng::rng(std::uint64_t seed, std::uint64_t stream) noexcept {
  std::uint64_t state = seed;
  // Mix the stream in through a second splitmix64 sequence so that streams of one seed differ
  // from the first output on.
  std::uint64_t stream_state = stream ^ 0xD1B5'4A32'D192'ED03u;
  const std::uint64_t salt = splitmix64(stream_state);
  state ^= salt;
  for (auto& word : s_)
    word = splitmix64(state);
  if (s_[0] == 0 && s_[1] == 0 && s_[2] == 0 && s_[3] == 0) s_[0] = 1;  // never all zero
}

std::uint64_t rng::next() noexcept {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

std::uint64_t rng::below(std::uint64_t bound) noexcept {
  if (bound == 0) return 0;
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  mul_64x64(next(), bound, hi, lo);
  if (lo < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (lo < threshold)
      mul_64x64(next(), bound, hi, lo);
  }
  return hi;
}

std::int64_t rng::between(std::int64_t lo, std::int64_t hi) noexcept {
  if (hi < lo) return lo;
  const std::uint64_t span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
  const std::uint64_t offset = span == 0 ? next() : below(span);  // span 0: the full 64-bit range
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + offset);
}

double rng::unit() noexcept {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

}  // namespace crmrules::sample
