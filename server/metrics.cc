#include "server/metrics.h"

#include <chrono>
#include <cstdio>

namespace samplan {
namespace {

int64_t NowSecond() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

void Line(std::string* out, const char* name, const char* help,
          const char* type, double value) {
  char buf[512];
  std::snprintf(buf, sizeof(buf), "# HELP %s %s\n# TYPE %s %s\n%s %.17g\n",
                name, help, name, type, name, value);
  *out += buf;
}

}  // namespace

Metrics::Metrics() {
  for (auto& b : bucket_counts_) b.store(0);
}

void Metrics::ObserveBroadcastLatency(double seconds) {
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  bucket_counts_[i].fetch_add(1, std::memory_order_relaxed);
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(static_cast<uint64_t>(seconds * 1e6),
                            std::memory_order_relaxed);
}

void Metrics::CountAcceptedOps(uint64_t n) {
  ops_accepted_total.fetch_add(n, std::memory_order_relaxed);
  const int64_t now = NowSecond();
  int64_t second = rate_second_.load();
  if (second != now && rate_second_.compare_exchange_strong(second, now)) {
    rate_last_.store(second == now - 1 ? rate_current_.exchange(0) : 0);
    if (second != now - 1) rate_current_.store(0);
  }
  rate_current_.fetch_add(n, std::memory_order_relaxed);
}

std::string Metrics::RenderPrometheus() const {
  std::string out;
  Line(&out, "samplan_connections", "Open WebSocket sessions.", "gauge",
       connections.load());
  Line(&out, "samplan_connections_total", "WebSocket sessions accepted.",
       "counter", connections_total.load());
  Line(&out, "samplan_http_requests_total", "HTTP requests served.", "counter",
       http_requests_total.load());
  Line(&out, "samplan_open_plans", "Plans loaded in memory.", "gauge",
       open_plans.load());
  Line(&out, "samplan_ops_accepted_total",
       "Operations validated, stored and broadcast.", "counter",
       ops_accepted_total.load());
  const int64_t now = NowSecond();
  const int64_t second = rate_second_.load();
  const double rate = second == now       ? rate_last_.load()
                      : second == now - 1 ? rate_current_.load()
                                          : 0;
  Line(&out, "samplan_ops_per_second",
       "Operations accepted during the last full second.", "gauge", rate);
  Line(&out, "samplan_ops_rejected_total",
       "Operations rejected (permission, validation, dependencies).",
       "counter", ops_rejected_total.load());
  Line(&out, "samplan_messages_in_total", "WebSocket messages received.",
       "counter", messages_in_total.load());
  Line(&out, "samplan_errors_sent_total", "Error messages sent to clients.",
       "counter", errors_sent_total.load());
  Line(&out, "samplan_slow_clients_disconnected_total",
       "Sessions closed because their send queue passed its bound.",
       "counter", slow_clients_disconnected_total.load());
  Line(&out, "samplan_oversized_messages_total",
       "Sessions closed with 1009 for an oversized message.", "counter",
       oversized_messages_total.load());
  Line(&out, "samplan_rate_limited_total",
       "Messages refused by the per-connection rate limit.", "counter",
       rate_limited_total.load());
  Line(&out, "samplan_append_failures_total", "Failed durable appends.",
       "counter", append_failures_total.load());
  const char* name = "samplan_broadcast_latency_seconds";
  out += "# HELP samplan_broadcast_latency_seconds Time from receiving a "
         "batch to queueing its broadcast to every other session.\n";
  out += "# TYPE samplan_broadcast_latency_seconds histogram\n";
  uint64_t cumulative = 0;
  char buf[256];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += bucket_counts_[i].load();
    std::snprintf(buf, sizeof(buf), "%s_bucket{le=\"%g\"} %llu\n", name,
                  kBuckets[i], static_cast<unsigned long long>(cumulative));
    out += buf;
  }
  cumulative += bucket_counts_[kBuckets.size()].load();
  std::snprintf(buf, sizeof(buf), "%s_bucket{le=\"+Inf\"} %llu\n", name,
                static_cast<unsigned long long>(cumulative));
  out += buf;
  std::snprintf(buf, sizeof(buf), "%s_sum %.6f\n%s_count %llu\n", name,
                latency_sum_us_.load() / 1e6, name,
                static_cast<unsigned long long>(latency_count_.load()));
  out += buf;
  return out;
}

}  // namespace samplan
