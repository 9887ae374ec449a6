#include "bench/report.hpp"

#include "bench/proc_stats.hpp"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <limits>
#include <sstream>

namespace evstream::bench {

namespace json = boost::json;

record::record(std::string workload, std::string label, std::string reference_kind)
    : workload_(std::move(workload)), label_(std::move(label)), reference_kind_(std::move(reference_kind)) {}

void record::row(std::string figure, std::string evstream, std::string reference, std::string ratio,
                 std::string note) {
  rows_.push_back(
      {std::move(figure), std::move(evstream), std::move(reference), std::move(ratio), std::move(note)});
}

void record::problem(const std::string& text) {
  if (std::find(problems_.begin(), problems_.end(), text) == problems_.end()) problems_.push_back(text);
}

json::object record::to_json() const {
  json::array rows;
  for (const auto& r : rows_)
    rows.push_back(json::object{{"figure", r.figure},
                                {"evstream", r.evstream},
                                {"reference", r.reference},
                                {"ratio", r.ratio},
                                {"note", r.note}});
  json::array problems;
  for (const auto& p : problems_)
    problems.push_back(json::string(p));
  return {{"workload", workload_},
          {"label", label_},
          {"reference_kind", reference_kind_},
          {"ok", ok()},
          {"problems", problems},
          {"rows", rows},
          {"raw", raw_}};
}

record record::from_json(const json::object& object) {
  record r{json::value_to<std::string>(object.at("workload")),
           json::value_to<std::string>(object.at("label")),
           json::value_to<std::string>(object.at("reference_kind"))};
  for (const auto& row : object.at("rows").as_array()) {
    const auto& o = row.as_object();
    r.row(json::value_to<std::string>(o.at("figure")), json::value_to<std::string>(o.at("evstream")),
          json::value_to<std::string>(o.at("reference")), json::value_to<std::string>(o.at("ratio")),
          json::value_to<std::string>(o.at("note")));
  }
  for (const auto& p : object.at("problems").as_array())
    r.problems_.push_back(json::value_to<std::string>(p));
  if (auto* raw = object.if_contains("raw")) r.raw_ = raw->as_object();
  return r;
}

namespace {

// Display width in code points: figures use "×", "–" and "…".
std::size_t width_of(const std::string& text) {
  std::size_t width = 0;
  for (unsigned char c : text)
    width += (c & 0xc0) != 0x80 ? 1 : 0;
  return width;
}

std::string pad(const std::string& text, std::size_t width) {
  const auto w = width_of(text);
  return text + std::string(w < width ? width - w : 0, ' ');
}

} // namespace

std::string render_table(const std::vector<record>& records, const std::string& command) {
  std::ostringstream out;
  out << "evstream benchmark — " << iso_date_utc() << " — nproc " << online_cpus() << " — " << cpu_model()
      << "\n";
  out << "command: " << command << "\n";
  out << "Each figure is the median of the repetitions; ratio = evstream / reference.\n\n";

  const std::vector<std::string> header = {"workload", "figure", "evstream", "reference", "ratio", "note"};
  std::vector<std::vector<std::string>> lines;
  for (const auto& rec : records) {
    bool first = true;
    for (const auto& row : rec.rows()) {
      lines.push_back(
          {first ? rec.label() : "", row.figure, row.evstream, row.reference, row.ratio, row.note});
      first = false;
    }
    lines.push_back({"", rec.ok() ? "checks" : "CHECKS FAILED",
                     rec.ok() ? "ok" : std::to_string(rec.problems().size()) + " problem(s), see below", "",
                     "", ""});
  }
  std::vector<std::size_t> widths(header.size(), 0);
  for (std::size_t c = 0; c < header.size(); ++c) {
    widths[c] = width_of(header[c]);
    for (const auto& line : lines)
      widths[c] = std::max(widths[c], width_of(line[c]));
  }
  auto print = [&](const std::vector<std::string>& line) {
    std::string text;
    for (std::size_t c = 0; c < line.size(); ++c)
      text += (c ? "  " : "") + pad(line[c], c + 1 < line.size() ? widths[c] : 0);
    while (!text.empty() && text.back() == ' ')
      text.pop_back();
    out << text << "\n";
  };
  print(header);
  std::size_t total = 0;
  for (auto w : widths)
    total += w + 2;
  out << std::string(total - 2, '-') << "\n";
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0 && !lines[i][0].empty()) out << "\n";
    print(lines[i]);
  }
  out << "\nreferences:\n";
  std::vector<std::string> kinds;
  for (const auto& rec : records)
    if (!rec.reference_kind().empty()
        && std::find(kinds.begin(), kinds.end(), rec.label().substr(0, 2) + ": " + rec.reference_kind())
               == kinds.end())
      kinds.push_back(rec.label().substr(0, 2) + ": " + rec.reference_kind());
  for (const auto& kind : kinds)
    out << "  " << kind << "\n";
  bool any_problem = false;
  for (const auto& rec : records)
    for (const auto& p : rec.problems()) {
      if (!any_problem) out << "\nproblems:\n";
      any_problem = true;
      out << "  " << rec.label() << ": " << p << "\n";
    }
  return out.str();
}

std::string render_page(const std::vector<record>& records, const std::string& command,
                        const std::string& notes) {
  // Markdown table cells: a pipe would end the cell.
  auto cell = [](std::string text) {
    for (std::size_t at = text.find('|'); at != std::string::npos; at = text.find('|', at + 2))
      text.replace(at, 1, "\\|");
    return text;
  };
  std::ostringstream out;
  out << "# Performance\n\n"
      << "<!-- Written by bench/run.sh from its run; the text after the table is bench/performance_notes.md. "
         "-->\n\n"
      << "The benchmark's figures, from one run of `bench/run.sh`. Back to the [README](../README.md).\n\n"
      << "- **Date:** " << iso_date_utc() << "\n"
      << "- **Machine:** " << online_cpus() << " CPUs (`nproc`), " << cpu_model() << ", " << memory_gib()
      << " GiB, " << os_name() << "\n"
      << "- **Command:** `" << command << "`\n\n"
      << "Each figure is the median of the repetitions, beside a reference measured in the same run; "
         "ratio = evstream / reference.\n\n"
      << "| workload | figure | evstream | reference | ratio | note |\n|---|---|---|---|---|---|\n";
  for (const auto& rec : records) {
    bool first = true;
    for (const auto& row : rec.rows()) {
      out << "| " << (first ? cell(rec.label()) : "") << " | " << cell(row.figure) << " | "
          << cell(row.evstream) << " | " << cell(row.reference) << " | " << cell(row.ratio) << " | "
          << cell(row.note) << " |\n";
      first = false;
    }
    out << "| | checks | " << (rec.ok() ? "ok" : "**failed**") << " | | | |\n";
  }
  out << "\nReferences:\n\n";
  std::vector<std::string> kinds;
  for (const auto& rec : records) {
    auto kind = rec.label().substr(0, 2) + ": " + rec.reference_kind();
    if (!rec.reference_kind().empty() && std::find(kinds.begin(), kinds.end(), kind) == kinds.end())
      kinds.push_back(kind);
  }
  for (const auto& kind : kinds)
    out << "- " << kind << "\n";
  out << "\n" << notes;
  return out.str();
}

json::object render_json(const std::vector<record>& records, const std::string& command) {
  json::array results;
  for (const auto& rec : records)
    results.push_back(rec.to_json());
  return {{"date", iso_date_utc()},
          {"nproc", online_cpus()},
          {"cpu", cpu_model()},
          {"command", command},
          {"results", results}};
}

double repetitions::median(const std::string& name) const {
  auto found = values_.find(name);
  if (found == values_.end() || found->second.empty()) return std::numeric_limits<double>::quiet_NaN();
  auto values = found->second;
  std::sort(values.begin(), values.end());
  const auto n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

json::object repetitions::to_json() const {
  json::object object;
  for (const auto& [name, values] : values_) {
    json::array array;
    for (double v : values)
      array.push_back(std::isfinite(v) ? json::value(v) : json::value(nullptr));
    object[name] = array;
  }
  return object;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "–";
  std::ostringstream out;
  out << std::fixed << std::setprecision(decimals) << value;
  return out.str();
}

std::string si(double value) {
  if (!std::isfinite(value)) return "–";
  const double magnitude = std::fabs(value);
  if (magnitude >= 1e9) return fixed(value / 1e9, 2) + " G";
  if (magnitude >= 1e6) return fixed(value / 1e6, 2) + " M";
  if (magnitude >= 1e4) return fixed(value / 1e3, 1) + " k";
  return fixed(value, magnitude >= 100 ? 0 : 2);
}

std::string ratio(double a, double b) {
  if (!std::isfinite(a) || !std::isfinite(b) || b == 0) return "–";
  return fixed(a / b, 2) + "×";
}

std::string iso_date_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
  return text;
}

} // namespace evstream::bench
