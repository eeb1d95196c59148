// How fast the VA reads DNS answers and writes queries (the codec on its
// hot path, va/dns/dns_message.h), without sockets or c-ares's event loop:
//
//   dns_parse_bench [N]   (bench/profile.sh BUILD_DIR parse [N] runs it)
//
// Parses N typical answers of each kind and prints answers/s and ns each:
// a dns-01 TXT answer (a CNAME the resolver followed, one 43-octet token,
// EDNS OPT) and a CAA answer (three records, EDNS OPT), then builds N
// queries. The best of three rounds is printed, so a busy machine shows
// less of its noise.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "va/dns/dns_message.h"

namespace {

using acmeva::va::dns::BuildQuery;
using acmeva::va::dns::ParseAnswer;
using acmeva::va::dns::RRType;

// The answer bytes, written out here so the same program measures any
// version of the codec.
class Answer {
 public:
  Answer(const std::string& qname, uint16_t qtype) {
    U16(0x1234);
    U16(0x81a0);  // QR RD RA AD, NOERROR
    U16(1);
    U16(0);
    U16(0);
    U16(1);  // the OPT RR
    for (size_t start = 0; start < qname.size();) {
      size_t dot = qname.find('.', start);
      if (dot == std::string::npos) dot = qname.size();
      Label(qname.substr(start, dot - start));
      start = dot + 1;
    }
    bytes_.push_back(0);
    U16(qtype);
    U16(1);
  }
  // An answer RR owned by the question name (a compression pointer).
  Answer& Record(uint16_t type, const std::string& rdata) {
    U16(0xc00c);
    U16(type);
    U16(1);
    U16(0);
    U16(300);
    U16(static_cast<uint16_t>(rdata.size()));
    bytes_.insert(bytes_.end(), rdata.begin(), rdata.end());
    ++bytes_[7];  // ANCOUNT
    return *this;
  }
  std::vector<uint8_t> Finish() {
    const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
    bytes_.insert(bytes_.end(), std::begin(opt), std::end(opt));
    return bytes_;
  }

 private:
  void U16(uint16_t v) {
    bytes_.push_back(static_cast<uint8_t>(v >> 8));
    bytes_.push_back(static_cast<uint8_t>(v));
  }
  void Label(const std::string& label) {
    bytes_.push_back(static_cast<uint8_t>(label.size()));
    bytes_.insert(bytes_.end(), label.begin(), label.end());
  }
  std::vector<uint8_t> bytes_;
};

std::string CharacterString(const std::string& s) {
  return std::string(1, static_cast<char>(s.size())) + s;
}

std::string Caa(uint8_t flags, const std::string& tag,
                const std::string& value) {
  return std::string(1, static_cast<char>(flags)) +
         std::string(1, static_cast<char>(tag.size())) + tag + value;
}

// Best of three rounds of `n` calls of `one`, in nanoseconds per call.
template <typename F>
double BestNanos(int n, F one) {
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    const absl::Time start = absl::Now();
    for (int i = 0; i < n; ++i) one();
    const double ns = absl::ToDoubleNanoseconds(absl::Now() - start) / n;
    if (round == 0 || ns < best) best = ns;
  }
  return best;
}

void Print(const char* what, double ns) {
  std::printf("%-34s %10.0f /s %8.0f ns each\n", what, 1e9 / ns, ns);
}

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 1000000;
  if (n <= 0) {
    std::fprintf(stderr, "usage: dns_parse_bench [N > 0]\n");
    return 2;
  }
  const std::vector<uint8_t> txt =
      Answer("_acme-challenge.www.example.com", 16)
          .Record(5, std::string("\x03"
                                 "foo\x07"
                                 "example\x03"
                                 "net\x00",
                                 17))
          .Record(16, CharacterString(std::string(43, 'k')))
          .Finish();
  const std::vector<uint8_t> caa =
      Answer("example.com", 257)
          .Record(257, Caa(0, "issue", "letsencrypt.org"))
          .Record(257, Caa(0, "issuewild", ";"))
          .Record(257, Caa(0, "iodef", "mailto:security@example.com"))
          .Finish();
  // Both must parse, or the figures measure an error path.
  if (!ParseAnswer(txt, RRType::kTXT).ok() ||
      ParseAnswer(txt, RRType::kTXT)->txt.size() != 1 ||
      !ParseAnswer(caa, RRType::kCAA).ok() ||
      ParseAnswer(caa, RRType::kCAA)->caa.size() != 3) {
    std::fprintf(stderr, "dns_parse_bench: the sample answers do not parse\n");
    return 1;
  }
  size_t sink = 0;
  std::printf("dns_parse_bench: %d calls a round, best of 3\n", n);
  Print("ParseAnswer TXT (dns-01)", BestNanos(n, [&] {
          sink += ParseAnswer(txt, RRType::kTXT)->txt.size();
        }));
  Print("ParseAnswer CAA (3 records)", BestNanos(n, [&] {
          sink += ParseAnswer(caa, RRType::kCAA)->caa.size();
        }));
  Print("BuildQuery TXT", BestNanos(n, [&] {
          sink +=
              BuildQuery("_acme-challenge.www.example.com", RRType::kTXT, 1232)
                  ->size();
        }));
  return sink == 0 ? 1 : 0;
}
