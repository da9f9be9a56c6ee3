using System.Text;
using Gradscope.Measures.Registry;
using Gradscope.Tensors;

namespace Gradscope.Tests.Measures;

/// <summary>MeasureFile: round trip, Python's NaN/Infinity tokens, old names through the alias map, and a seeded fuzz of
/// malformed files (every failure an InvalidDataException naming the file, never another exception).</summary>
public class MeasureFileTests
{
    [Fact]
    public void RoundTripKeepsEveryFiniteValueBitForBitAndOmitsNonFiniteOnes()
    {
        var rng = new Rng(11);
        var values = new Dictionary<string, double>();
        for (int i = 0; i < 200; i++) values[$"layer.{i}.spectral"] = (rng.NextDouble() - 0.5) * Math.Pow(10, (int)(rng.NextDouble() * 600) - 300);
        values["rho"] = double.Epsilon; values["margin.min"] = -0.0; values["bound.vc"] = double.MaxValue;
        values["gamma_min"] = double.NaN; values["bound.bft"] = double.PositiveInfinity;
        var text = MeasureFile.Format(values, new Dictionary<string, string> { ["nc*"] = "binary net" });
        var back = MeasureFile.Parse(text, "x.json");
        foreach (var (k, v) in values.Where(p => double.IsFinite(p.Value))) Assert.Equal(BitConverter.DoubleToInt64Bits(v), BitConverter.DoubleToInt64Bits(back.Values[k]));
        Assert.False(back.Values.ContainsKey("gamma_min"));
        Assert.Equal("not finite (NaN)", back.Omitted["gamma_min"]);
        Assert.Equal("not finite (∞)".Replace("∞", double.PositiveInfinity.ToString(System.Globalization.CultureInfo.InvariantCulture)), back.Omitted["bound.bft"]);
        Assert.Equal("binary net", back.Omitted["nc*"]);
        Assert.Equal(MeasureFile.FormatName, back.Format);
    }

    [Fact]
    public void PythonNonFiniteTokensReadAsTheirValuesButNotInsideStrings()
    {
        // json.dump({"rho": float("nan"), ...}) writes bare NaN, Infinity and -Infinity.
        var c = MeasureFile.Parse("{\"measures\": {\"rho\": NaN, \"bound.vc\": Infinity, \"margin.min\": -Infinity, \"depth\": 2}, \"model\": \"NaN Infinity.yaml\"}", "py.json");
        Assert.True(double.IsNaN(c.Values["rho"]));
        Assert.Equal(double.PositiveInfinity, c.Values["bound.vc"]);
        Assert.Equal(double.NegativeInfinity, c.Values["margin.min"]);
        Assert.Equal(2, c.Values["depth"]);
        Assert.Equal("{\"a\": \"NaN\", \"b\": \"NaN\"}", MeasureFile.QuoteNonFinite("{\"a\": \"NaN\", \"b\": NaN}"));
        Assert.Equal("{\"NaNa\": 1}", MeasureFile.QuoteNonFinite("{\"NaNa\": 1}"));
    }

    [Fact]
    public void FlatFilesAndOldNamesReadUnderRegistryKeys()
    {
        // The training probe's names: fro[NAME] in weight order, min_margin, gamma, train_acc (an accuracy).
        var c = MeasureFile.Parse("{\"version\": 1, \"fro[0.weight]\": 2.5, \"fro[2.weight]\": 4, \"min_margin\": 0.5, \"gamma\": 0.05, \"train_acc\": 0.75, \"rho\": 10}", "old.json");
        Assert.Equal(2.5, c.Values["layer.0.frobenius"]);
        Assert.Equal(4, c.Values["layer.1.frobenius"]);
        Assert.Equal(0.5, c.Values["margin.min"]);
        Assert.Equal(0.05, c.Values["gamma_min"]);
        Assert.Equal(0.25, c.Values["train_error"], 15);
        Assert.Equal(10, c.Values["rho"]);
        Assert.False(c.Values.ContainsKey("version"));
        Assert.False(c.Values.ContainsKey("min_margin"));
        // A registry key present wins over an alias of it.
        Assert.Equal(0.7, MeasureFile.Parse("{\"gamma\": 0.1, \"gamma_min\": 0.7}", "f").Values["gamma_min"]);
        // Every alias target is a registry key (the training losses too), but for measure --run's run.* values (keys
        // measure --run writes beside the registry's).
        string[] notRegistry = ["run.train_error", "run.test_error"];
        foreach (var a in MeasureAliases.Fixed) Assert.True(MeasureRegistry.Find(a.Key) is not null || notRegistry.Contains(a.Key), a.Key);
        foreach (var k in notRegistry) Assert.Null(MeasureRegistry.Find(k));
        // The conversions are their own inverses (a resumed old run writes back through them).
        foreach (var a in MeasureAliases.Fixed) Assert.Equal(0.75, a.Convert(a.Convert(0.75)));
    }

    [Theory]
    [InlineData("{\"measures\": {\"rho\": \"big\"}}", "measures.rho")]
    [InlineData("{\"measures\": {\"rho\": [1]}}", "measures.rho")]
    [InlineData("{\"measures\": [1, 2]}", "\"measures\" is an array")]
    [InlineData("[1, 2]", "top level is an array")]
    [InlineData("{\"rho\": 1,", "not valid JSON")]
    [InlineData("{\"measures\": {}, \"omitted\": {\"rho\": 3}}", "omitted.\"rho\"")]
    public void MalformedFilesNameTheFileAndTheKey(string text, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => MeasureFile.Parse(text, "run7/measures.json"));
        Assert.Contains("'run7/measures.json'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void FuzzedFilesEitherReadOrFailWithANamedError()
    {
        // Seeded mutations of a valid file: truncations, inserted tokens, swapped characters, deep nesting.
        var valid = MeasureFile.Format(new Dictionary<string, double> { ["rho"] = 3.5, ["layer.0.spectral"] = 1.25, ["margin.min"] = -0.5 }, new Dictionary<string, string> { ["nc*"] = "binary" });
        string[] tokens = ["NaN", "Infinity", "-Infinity", "\"", "{", "}", "[", "]", ",", ":", "null", "true", "1e999", "-", "\\u0000", "\"measures\":", "nan", "0x1F"];
        var rng = new Rng(2026);
        int read = 0, failed = 0;
        for (int trial = 0; trial < 3000; trial++)
        {
            var sb = new StringBuilder(valid);
            int edits = 1 + (int)(rng.NextDouble() * 4);
            for (int e = 0; e < edits && sb.Length > 0; e++)
            {
                int at = (int)(rng.NextDouble() * sb.Length);
                switch ((int)(rng.NextDouble() * 4))
                {
                    case 0: sb.Length = at; break;
                    case 1: sb.Insert(at, tokens[(int)(rng.NextDouble() * tokens.Length)]); break;
                    case 2: sb.Remove(at, 1); break;
                    default: sb.Insert(at, new string('[', 1 + (int)(rng.NextDouble() * 200))); break;
                }
            }
            try { MeasureFile.Parse(sb.ToString(), "fuzz.json"); read++; }
            catch (InvalidDataException ex) { Assert.Contains("'fuzz.json'", ex.Message); failed++; }
        }
        Assert.True(read > 0 && failed > 0, $"read {read}, failed {failed}");
    }
}
