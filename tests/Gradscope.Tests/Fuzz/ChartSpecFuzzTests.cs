using System.Text.Json.Nodes;
using Gradscope.Report;
using Gradscope.Tests.Report;

namespace Gradscope.Tests.Fuzz;

/// <summary>
/// The report's chart-spec sanitizer over seeded random specs: builder specs with hostile keys and strings spliced in
/// at random depths, and random JSON trees. It never throws, keeps no URL-bearing key or string, and is idempotent.
/// </summary>
public class ChartSpecFuzzTests
{
    static readonly string[] HostileKeys = ["url", "href", "usermeta", "loader", "baseURL", "datasets", "config", "transform", "image", "src", "$schema"];
    static readonly string[] HostileStrings = ["http://evil.example/x", "https://evil.example", "//evil.example/a.png", "javascript:alert(1)", "url(http://evil.example)", "data:text/html,<b>", "file:///etc/passwd"];
    static readonly string[] Keys = ["data", "values", "mark", "type", "encoding", "x", "y", "field", "scale", "layer", "title", "color", "tooltip", "point", "width", "height", "domain"];

    static JsonNode RandomNode(Random rng, int depth)
    {
        int kind = depth >= 6 ? rng.Next(4) : rng.Next(7);
        switch (kind)
        {
            case 0: return JsonValue.Create(rng.NextDouble() * 1e3 - 500)!;
            case 1: return JsonValue.Create(rng.Next(2) == 0 ? HostileStrings[rng.Next(HostileStrings.Length)] : Keys[rng.Next(Keys.Length)])!;
            case 2: return JsonValue.Create(rng.Next(2) == 0)!;
            case 3: return JsonValue.Create(rng.Next(-5, 100))!;
            case 4:
            case 5:
                {
                    var o = new JsonObject();
                    int n = rng.Next(0, 5);
                    for (int i = 0; i < n; i++)
                    {
                        string key = rng.Next(3) == 0 ? HostileKeys[rng.Next(HostileKeys.Length)] : Keys[rng.Next(Keys.Length)];
                        o[key] = RandomNode(rng, depth + 1);
                    }
                    return o;
                }
            default:
                {
                    var a = new JsonArray();
                    int n = rng.Next(0, 5);
                    for (int i = 0; i < n; i++) a.Add(RandomNode(rng, depth + 1));
                    return a;
                }
        }
    }

    // splices a hostile key or string into a random object inside the spec
    static void Poison(JsonNode node, Random rng)
    {
        var objects = new List<JsonObject>();
        void Walk(JsonNode? n)
        {
            if (n is JsonObject o) { objects.Add(o); foreach (var kv in o.ToList()) Walk(kv.Value); }
            else if (n is JsonArray a) foreach (var x in a.ToList()) Walk(x);
        }
        Walk(node);
        var target = objects[rng.Next(objects.Count)];
        if (rng.Next(2) == 0) target[HostileKeys[rng.Next(HostileKeys.Length)]] = HostileStrings[rng.Next(HostileStrings.Length)];
        else target[Keys[rng.Next(Keys.Length)]] = RandomNode(rng, 3);
    }

    static IEnumerable<(string? Key, string? Text)> Leaves(JsonNode? n) => n switch
    {
        JsonObject o => o.SelectMany(kv => Leaves(kv.Value).Prepend((kv.Key, null))),
        JsonArray a => a.SelectMany(Leaves),
        JsonValue v when v.TryGetValue<string>(out var s) => [(null, s)],
        _ => [],
    };

    static readonly string[] KnownMarks = ["line", "point", "bar", "rule", "area", "tick", "rect", "circle", "square"];

    // every mark type of a spec (top level and in layers)
    static IEnumerable<string> Marks(JsonNode? n) => n switch
    {
        JsonObject o => (o["mark"] switch { JsonValue v when v.TryGetValue<string>(out var m) => [m], JsonObject mo when mo["type"] is JsonValue t && t.TryGetValue<string>(out var m2) => [m2], _ => Array.Empty<string>() })
            .Concat(o["layer"] is JsonArray layers ? layers.SelectMany(Marks) : []),
        _ => [],
    };

    // every "data" object of a spec (top level and in layers)
    static IEnumerable<JsonObject> Datas(JsonNode? n) => n switch
    {
        JsonObject o => (o["data"] is JsonObject d ? [d] : Array.Empty<JsonObject>()).Concat(o.Where(kv => kv.Key != "data").SelectMany(kv => Datas(kv.Value))),
        JsonArray a => a.SelectMany(Datas),
        _ => [],
    };

    static void AssertClean(JsonObject spec, string seed)
    {
        JsonObject clean;
        try { clean = ChartSpecSanitizer.Sanitize(spec); }
        catch (Exception e) { Assert.Fail($"{seed}: the sanitizer threw {e.GetType().Name}: {e.Message}"); return; }
        // $schema is always rewritten to the vendored version's constant (Vega reads it, never fetches it)
        if (clean["$schema"] is { } schema) Assert.Equal(VegaLite.SchemaUrl, (string?)schema);
        // data rows may hold any field and text: drawn as text (tooltips, legends), never fetched, since no url/href channel
        // or image mark survives; everything outside the rows must be free of URL-bearing keys
        var outside = (JsonObject)clean.DeepClone();
        outside.Remove("$schema");
        foreach (var data in Datas(outside).ToList()) data.Remove("values");
        foreach (var (key, _) in Leaves(outside))
            Assert.False(key is not null && key != "$schema" && HostileKeys.Contains(key) && key != "transform" && key != "config" && key != "image", $"{seed}: key '{key}' kept in {clean.ToJsonString()}");
        // text (titles, descriptions, labels) is drawn, never fetched: what could fetch is a key (url, href, an image mark,
        // a loader), and the marks and channels that survive are the known ones
        foreach (var mark in Marks(clean)) Assert.Contains(mark, KnownMarks);
        Assert.True(JsonNode.DeepEquals(clean, ChartSpecSanitizer.Sanitize((JsonObject)clean.DeepClone())), $"{seed}: not idempotent");
    }

    [Fact]
    public void PoisonedBuilderSpecsAndRandomTreesComeOutWithoutAnyUrl()
    {
        var builders = SampleRun.Create().Claims.SelectMany(c => c.Charts).Select(ch => ch.VegaLite).ToList();
        var rng = new Random(20261207);
        int cases = 0;
        for (int i = 0; i < 500; i++, cases++)
        {
            var spec = (JsonObject)builders[i % builders.Count].DeepClone();
            int splices = 1 + rng.Next(4);
            for (int k = 0; k < splices; k++) Poison(spec, rng);
            AssertClean(spec, $"poisoned builder spec {i}");
        }
        for (int i = 0; i < 2500; i++, cases++)
        {
            var node = RandomNode(rng, 0);
            var spec = node as JsonObject ?? new JsonObject { ["layer"] = node };
            AssertClean(spec, $"random tree {i}");
        }
        Assert.Equal(3000, cases);
    }
}
