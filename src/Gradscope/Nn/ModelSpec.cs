using System.Globalization;
using System.Numerics;
using Gradscope.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Gradscope.Nn;

/// <summary>One layer of a <see cref="ModelSpec"/>, as written in the file.</summary>
/// <param name="Type">Layer type: dense, relu, identity, flatten, conv2d, locally_connected2d, avgpool2d, maxpool2d, global_avgpool2d, batchnorm, scale_batchnorm, dropout.</param>
/// <param name="Key">state_dict prefix of its parameters ("features.0"); default its index, as in nn.Sequential.</param>
/// <param name="Line">Line of the layer in the file (1-based).</param>
/// <param name="Out">dense: output features.</param>
/// <param name="Bias">dense, conv2d, locally_connected2d: whether it has a bias (default false: homogeneous).</param>
/// <param name="OutChannels">conv2d, locally_connected2d: output channels.</param>
/// <param name="Kernel">conv2d, locally_connected2d, avgpool2d, maxpool2d: square kernel size.</param>
/// <param name="Stride">conv2d, locally_connected2d (default 1), avgpool2d and maxpool2d (default = kernel).</param>
/// <param name="Padding">conv2d, locally_connected2d, avgpool2d: zero padding; maxpool2d: -inf padding (default 0).</param>
/// <param name="Momentum">batchnorm, scale_batchnorm: running-statistics momentum (default 0.1, as PyTorch).</param>
/// <param name="Eps">batchnorm: epsilon added to the variance (default 1e-5); scale_batchnorm: added to the mean square (default 0).</param>
/// <param name="P">dropout: the probability of zeroing an element in training, in [0, 1) (default 0.5, as PyTorch).</param>
public sealed record LayerSpec(string Type, string Key, int Line, int? Out = null, bool Bias = false,
    int? OutChannels = null, int? Kernel = null, int? Stride = null, int? Padding = null, double? Momentum = null, double? Eps = null, double? P = null);

/// <summary>
/// A model description file (YAML, or JSON, which is YAML too):
/// <code>
/// input: [64]            # per-sample shape: [features] or [channels, height, width]
/// name: mlp              # optional
/// layers:
///   - {type: dense, out: 100}            # bias: false by default
///   - {type: relu}
///   - {type: dense, out: 10, key: head}  # its parameters are "head.weight" in a state_dict
/// </code>
/// Layer types and their keys: <c>dense</c> (out, bias), <c>relu</c>, <c>identity</c>, <c>flatten</c>,
/// <c>conv2d</c> / <c>locally_connected2d</c> (out_channels, kernel, stride = 1, padding = 0, bias),
/// <c>avgpool2d</c> and <c>maxpool2d</c> (kernel, stride = kernel, padding = 0), <c>global_avgpool2d</c>, <c>batchnorm</c> (momentum = 0.1,
/// eps = 1e-5; on (C) or (C, H, W) inputs; parameters weight, bias and buffers running_mean, running_var), <c>scale_batchnorm</c>
/// (scale-only, homogeneous: x / sqrt(mean x^2 + eps), momentum = 0.1, eps = 0; buffer running_ms); <c>dropout</c> (p = 0.5,
/// in [0, 1): identity at evaluation, inverted-dropout mask in training; no parameters); every layer may have
/// <c>key</c>, the state_dict prefix of its weights (default: its index, so names match PyTorch's nn.Sequential:
/// "0.weight", "2.weight"). Errors name the file, the line and the key: unknown keys, values of the wrong type,
/// missing sizes, and layer types this build cannot construct.
/// </summary>
public sealed class ModelSpec
{
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["dense"] = ["out", "bias"],
        ["relu"] = [], ["identity"] = [], ["flatten"] = [], ["global_avgpool2d"] = [],
        ["batchnorm"] = ["momentum", "eps"],
        ["scale_batchnorm"] = ["momentum", "eps"],
        ["conv2d"] = ["out_channels", "kernel", "stride", "padding", "bias"],
        ["locally_connected2d"] = ["out_channels", "kernel", "stride", "padding", "bias"],
        ["avgpool2d"] = ["kernel", "stride", "padding"],
        ["maxpool2d"] = ["kernel", "stride", "padding"],
        ["dropout"] = ["p"],
    };

    private ModelSpec(string source, string? name, int[] input, IReadOnlyList<LayerSpec> layers)
    {
        Source = source; Name = name; Input = input; Layers = layers;
    }

    /// <summary>The file (or label) the spec came from.</summary>
    public string Source { get; }
    /// <summary>Optional model name.</summary>
    public string? Name { get; }
    /// <summary>Per-sample input shape.</summary>
    public int[] Input { get; }
    /// <summary>Layers in order.</summary>
    public IReadOnlyList<LayerSpec> Layers { get; }

    /// <summary>Reads a model description file; throws InvalidDataException naming the file, line and key.</summary>
    public static ModelSpec Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model description '{path}' does not exist.", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses a model description; <paramref name="source"/> names it in errors.</summary>
    public static ModelSpec Parse(string text, string source)
    {
        var stream = YamlInput.Load(text, (line, what) => new InvalidDataException($"'{source}' line {line}: {what}"));
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException($"'{source}': expected one mapping with keys 'input' and 'layers'.");

        int[]? input = null;
        string? name = null;
        YamlSequenceNode? layerNodes = null;
        foreach (var (k, v) in root.Children)
        {
            string key = KeyName(k, source);
            switch (key)
            {
                case "input": input = IntList(v, source, "input"); break;
                case "name": name = Scalar(v, source, "name"); break;
                case "layers":
                    layerNodes = v as YamlSequenceNode ?? throw Error(source, v, $"key 'layers' must be a list of layers, got {Describe(v)}.");
                    break;
                default: throw Error(source, k, $"unknown key '{key}' (allowed: input, name, layers).");
            }
        }
        if (input is null) throw new InvalidDataException($"'{source}': missing key 'input' (the per-sample input shape, e.g. input: [64]).");
        if (layerNodes is null) throw new InvalidDataException($"'{source}': missing key 'layers'.");

        var layers = new List<LayerSpec>();
        var keys = new Dictionary<string, int>();
        for (int i = 0; i < layerNodes.Children.Count; i++)
        {
            var node = layerNodes.Children[i] as YamlMappingNode ?? throw Error(source, layerNodes.Children[i], $"layer {i} must be a mapping such as {{type: relu}}, got {Describe(layerNodes.Children[i])}.");
            var fields = new Dictionary<string, YamlNode>();
            foreach (var (k, v) in node.Children)
            {
                var kn = KeyName(k, source);
                if (!fields.TryAdd(kn, v)) throw Error(source, k, $"layer {i}: key '{kn}' appears twice.");
            }
            if (!fields.TryGetValue("type", out var typeNode)) throw Error(source, node, $"layer {i}: missing key 'type' (one of {string.Join(", ", Allowed.Keys)}).");
            string type = Scalar(typeNode, source, "type");
            if (!Allowed.TryGetValue(type, out var allowed)) throw Error(source, typeNode, $"layer {i}: unknown layer type '{type}' (known: {string.Join(", ", Allowed.Keys)}).");
            foreach (var (kn, v) in fields)
                if (kn != "type" && kn != "key" && !allowed.Contains(kn))
                    throw Error(source, v, $"layer {i} ({type}): unknown key '{kn}' (allowed: {string.Join(", ", allowed.Append("key"))}).");
            int? Int(string k, bool required)
            {
                if (!fields.TryGetValue(k, out var v))
                    return required ? throw Error(source, node, $"layer {i} ({type}): missing key '{k}'.") : null;
                var s = Scalar(v, source, k);
                if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n < 0 || (k != "padding" && n == 0))
                    throw Error(source, v, $"layer {i} ({type}): key '{k}' must be a {(k == "padding" ? "non-negative" : "positive")} integer, got '{s}'.");
                return n;
            }
            bool bias = false;
            if (fields.TryGetValue("bias", out var bn))
            {
                var s = Scalar(bn, source, "bias");
                bias = s switch
                {
                    "true" or "True" => true,
                    "false" or "False" => false,
                    _ => throw Error(source, bn, $"layer {i} ({type}): key 'bias' must be true or false, got '{s}'."),
                };
            }
            string lkey = fields.TryGetValue("key", out var kv) ? Scalar(kv, source, "key") : i.ToString(CultureInfo.InvariantCulture);
            if (lkey.Length == 0) throw Error(source, kv!, $"layer {i}: key 'key' must not be empty.");
            if (keys.TryGetValue(lkey, out int other)) throw Error(source, kv ?? node, $"layer {i}: state_dict key '{lkey}' is already used by layer {other}.");
            keys[lkey] = i;
            double? Real(string k)
            {
                if (!fields.TryGetValue(k, out var v)) return null;
                var s = Scalar(v, source, k);
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double r) && r >= 0 && double.IsFinite(r) ? r
                    : throw Error(source, v, $"layer {i} ({type}): key '{k}' must be a non-negative number, got '{s}'.");
            }
            bool conv = type is "conv2d" or "locally_connected2d";
            layers.Add(new LayerSpec(type, lkey, (int)node.Start.Line,
                Out: Int("out", type == "dense"), Bias: bias,
                OutChannels: Int("out_channels", conv), Kernel: Int("kernel", conv || type is "avgpool2d" or "maxpool2d"),
                Stride: Int("stride", false), Padding: Int("padding", false), Momentum: Real("momentum"), Eps: Real("eps"), P: Real("p")));
        }
        return new ModelSpec(source, name, input, layers);
    }

    /// <summary>
    /// Builds the model (zero-initialized; use <see cref="Init"/>). Throws InvalidDataException naming the file and line
    /// of a layer whose shape does not fit or whose type this build cannot construct.
    /// </summary>
    public Sequential<T> Build<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var shape = Input;
        var built = new List<Layer<T>>();
        for (int i = 0; i < Layers.Count; i++)
        {
            var l = Layers[i];
            Layer<T> layer;
            try
            {
                layer = l.Type switch
                {
                    "dense" => new Dense<T>(shape.Aggregate(1, (a, b) => checked(a * b)), l.Out!.Value, l.Bias),
                    "relu" => new Relu<T>(),
                    "identity" => new Identity<T>(),
                    "flatten" => new Flatten<T>(),
                    "conv2d" => new Conv2d<T>(Channels(shape, l), l.OutChannels!.Value, l.Kernel!.Value, l.Stride ?? 1, l.Padding ?? 0, l.Bias),
                    "locally_connected2d" => new LocallyConnected2d<T>(shape, l.OutChannels!.Value, l.Kernel!.Value, l.Stride ?? 1, l.Padding ?? 0, l.Bias),
                    "avgpool2d" => new AvgPool2d<T>(l.Kernel!.Value, l.Stride, l.Padding ?? 0),
                    "maxpool2d" => new MaxPool2d<T>(l.Kernel!.Value, l.Stride, l.Padding ?? 0),
                    "global_avgpool2d" => new GlobalAvgPool2d<T>(),
                    "batchnorm" => new BatchNorm<T>(shape[0], l.Momentum ?? 0.1, l.Eps ?? 1e-5),
                    "scale_batchnorm" => new ScaleBatchNorm<T>(shape[0], l.Momentum ?? 0.1, l.Eps ?? 0),
                    "dropout" => new Dropout<T>(l.P ?? 0.5),
                    _ => throw new NotSupportedException($"layer type '{l.Type}' is not available in this build of Gradscope."),
                };
                shape = layer.OutputShape(shape);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or OverflowException)
            {
                throw new InvalidDataException($"'{Source}' line {l.Line}, layer {i} ({l.Type}): {e.Message}", e);
            }
            built.Add(layer);
        }
        return new Sequential<T>(Input, built.ToArray());
    }

    private static int Channels(int[] shape, LayerSpec l) => shape.Length == 3 ? shape[0]
        : throw new ArgumentException($"{l.Type} needs a (C, H, W) input, got ({string.Join(", ", shape)}).");

    /// <summary>
    /// The state_dict name in files for a model parameter name: "{index}.{param}" becomes "{key}.{param}"
    /// (identical when keys are the default indices).
    /// </summary>
    public string FileName(string modelName)
    {
        int dot = modelName.IndexOf('.');
        if (dot <= 0 || !int.TryParse(modelName.AsSpan(0, dot), NumberStyles.None, CultureInfo.InvariantCulture, out int i) || i >= Layers.Count)
            throw new ArgumentException($"'{Source}': '{modelName}' is not a parameter name of this model (expected '{{layer index}}.{{weight|bias}}').");
        return Layers[i].Key + modelName[dot..];
    }

    /// <summary>
    /// The model parameter name for a state_dict name in a file ("features.3.weight" with key "features.3" on layer 3
    /// gives "3.weight"); null when no layer's key is a prefix. The longest matching key wins.
    /// </summary>
    public string? ModelName(string fileName)
    {
        int best = -1;
        for (int i = 0; i < Layers.Count; i++)
        {
            var k = Layers[i].Key;
            if (fileName.Length > k.Length + 1 && fileName.StartsWith(k, StringComparison.Ordinal) && fileName[k.Length] == '.'
                && (best < 0 || k.Length > Layers[best].Key.Length))
                best = i;
        }
        return best < 0 ? null : best.ToString(CultureInfo.InvariantCulture) + fileName[Layers[best].Key.Length..];
    }

    private static InvalidDataException Error(string source, YamlNode node, string message)
        => new($"'{source}' line {node.Start.Line}: {message}");

    private static string KeyName(YamlNode k, string source)
        => k is YamlScalarNode s && s.Value is not null ? s.Value : throw Error(source, k, $"keys must be plain names, got {Describe(k)}.");

    private static string Scalar(YamlNode v, string source, string key)
        => v is YamlScalarNode s && s.Value is not null ? s.Value : throw Error(source, v, $"key '{key}' must be a single value, got {Describe(v)}.");

    private static int[] IntList(YamlNode v, string source, string key)
    {
        if (v is not YamlSequenceNode seq || seq.Children.Count == 0)
            throw Error(source, v, $"key '{key}' must be a non-empty list of positive integers such as [64] or [1, 28, 28], got {Describe(v)}.");
        return seq.Children.Select(c =>
        {
            var s = Scalar(c, source, key);
            return int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
                : throw Error(source, c, $"key '{key}' must hold positive integers, got '{s}'.");
        }).ToArray();
    }

    private static string Describe(YamlNode n) => n switch
    {
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => n.NodeType.ToString(),
    };
}
