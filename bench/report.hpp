// What a workload hands back: rows for the one table, the problems it saw,
// and its raw per-repetition figures; plus the statistics and number
// formatting they are built with.
#pragma once

#include <boost/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace evstream::bench {

struct table_row {
  std::string figure;
  std::string evstream;
  std::string reference;
  std::string ratio;
  std::string note;
};

class record {
public:
  record() = default;
  record(std::string workload, std::string label, std::string reference_kind);

  void row(std::string figure, std::string evstream, std::string reference = {}, std::string ratio = {},
           std::string note = {});
  // A verification failure, a crash, a deadline: anything that makes the figures suspect.
  void problem(const std::string& text);
  bool ok() const { return problems_.empty(); }

  boost::json::object& raw() { return raw_; }
  boost::json::object to_json() const;
  static record from_json(const boost::json::object& object);

  const std::string& label() const { return label_; }
  const std::string& reference_kind() const { return reference_kind_; }
  const std::vector<table_row>& rows() const { return rows_; }
  const std::vector<std::string>& problems() const { return problems_; }

private:
  std::string workload_;
  std::string label_;
  std::string reference_kind_;
  std::vector<table_row> rows_;
  std::vector<std::string> problems_;
  boost::json::object raw_;
};

// The table of several records, with a header saying where and when.
std::string render_table(const std::vector<record>& records, const std::string& command);
// The same as one JSON document.
boost::json::object render_json(const std::vector<record>& records, const std::string& command);
// The same as the docs page docs/performance.md: a header with the date, the
// machine and the command, the table in Markdown, then `notes` (Markdown).
std::string render_page(const std::vector<record>& records, const std::string& command,
                        const std::string& notes);

// Named figures of several repetitions; the table shows medians.
class repetitions {
public:
  void add(const std::string& name, double value) { values_[name].push_back(value); }
  // NaN when no repetition had the figure.
  double median(const std::string& name) const;
  boost::json::object to_json() const;

private:
  std::map<std::string, std::vector<double>> values_;
};

// Nearest-rank percentile of unsorted values, p in [0, 100]; NaN when empty.
double percentile(std::vector<double> values, double p);

std::string fixed(double value, int decimals);
// 1234567 → "1.23 M"
std::string si(double value);
// a/b as "0.42×", "–" when either is missing
std::string ratio(double a, double b);
std::string iso_date_utc();

} // namespace evstream::bench
