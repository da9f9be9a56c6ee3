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
/// "0.weight", "2.weight"). Errors name the file, the line and the key in the one config-error format of
/// <see cref="YamlSection"/> ("model.yaml:3: layers[0].out: must be &gt;= 1, got 0"): unknown keys, values of the wrong type,
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
    /// <remarks>
    /// Read through <see cref="YamlSection"/>, like every Gradscope config: errors read
    /// "model.yaml:3: layers[0].out: must be an integer, got 'ten'".
    /// </remarks>
    public static ModelSpec Parse(string text, string source)
    {
        var stream = YamlInput.Load(text, (line, what) => new InvalidDataException($"{source}:{line}: {what}"));
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new InvalidDataException(stream.Documents.Count == 1
                ? $"{source}:{stream.Documents[0].RootNode.Start.Line}: expected one mapping with keys 'input' and 'layers'."
                : $"{source}: expected one mapping with keys 'input' and 'layers'.");

        var r = new YamlSection(new YamlOrigins(source), "", root, m => new InvalidDataException(m));
        int[]? input = ReadInput(r);
        string? name = r.String("name");
        var layerNodes = r.List("layers", "a list of layers");
        r.RejectUnknown(); // before the missing keys, so that a misspelt key is named as such
        if (input is null) throw r.Missing("input", "(the per-sample input shape, e.g. input: [64])");
        if (layerNodes is null) throw r.Missing("layers");

        var layers = new List<LayerSpec>();
        var keys = new Dictionary<string, int>();
        for (int i = 0; i < layerNodes.Children.Count; i++)
        {
            var item = layerNodes.Children[i];
            if (item is not YamlMappingNode node)
                throw r.ErrorAt(item, $"layers[{i}]", $"must be a mapping such as {{type: relu}}, got {YamlSection.Describe(item)}");
            var s = r.Item("layers", i, node);
            RejectDuplicateKeys(s);
            string type = s.String("type") ?? throw s.Missing("type", $"(one of {string.Join(", ", Allowed.Keys)})");
            if (!Allowed.ContainsKey(type))
                throw s.Error("type", $"unknown layer type '{type}' (known: {string.Join(", ", Allowed.Keys)})");
            string lkey = s.String("key") ?? i.ToString(CultureInfo.InvariantCulture);
            if (lkey.Length == 0) throw s.Error("key", "must not be empty");
            if (keys.TryGetValue(lkey, out int other)) throw s.Error("key", $"state_dict key '{lkey}' is already used by layer {other}");
            keys[lkey] = i;
            var spec = ReadLayer(s, type, lkey, (int)node.Start.Line);
            layers.Add(spec);
        }
        return new ModelSpec(source, name, input, layers);
    }

    /// <summary>The layer types of the format, each with the keys it takes besides <c>type</c> and <c>key</c>.</summary>
    public static IReadOnlyDictionary<string, string[]> LayerKeys => Allowed;

    /// <summary>
    /// Reads the parameters of one layer of type <paramref name="type"/> (a key of <see cref="LayerKeys"/>) from its mapping:
    /// the one layer reader of model description files and of inline layer lists in training configs
    /// (<c>model.layers</c>), so both accept the same keys with the same errors ("cfg.yaml:9: model.layers[2].kernel: must
    /// be an integer, got 'x'"). Keys of the mapping read before (<c>type</c>, <c>key</c>) count as known; any other key
    /// is refused naming the keys of the type, then a missing size.
    /// </summary>
    /// <param name="s">The layer's mapping.</param>
    /// <param name="type">The layer type.</param>
    /// <param name="key">The state_dict prefix of its parameters.</param>
    /// <param name="line">Line of the layer (for errors of <see cref="Build{T}"/>).</param>
    public static LayerSpec ReadLayer(YamlSection s, string type, string key, int line)
    {
        var allowed = Allowed[type];
        // Only the keys of this layer type are read, so RejectUnknown names any other key with the allowed ones.
        var required = new List<string>();
        int? Int(string k, bool isRequired)
        {
            if (!allowed.Contains(k)) return null;
            int? v = s.Int(k, min: k == "padding" ? 0 : 1);
            if (v is null && isRequired) required.Add(k);
            return v;
        }
        double? Real(string k)
        {
            if (!allowed.Contains(k)) return null;
            double? v = s.Double(k);
            return v is double d && !(d >= 0 && double.IsFinite(d)) ? throw s.Error(k, $"must be a non-negative number, got {d.ToString("R", CultureInfo.InvariantCulture)}") : v;
        }
        bool conv = type is "conv2d" or "locally_connected2d";
        var spec = new LayerSpec(type, key, line,
            Out: Int("out", type == "dense"), Bias: allowed.Contains("bias") && (s.Bool("bias") ?? false),
            OutChannels: Int("out_channels", conv), Kernel: Int("kernel", conv || type is "avgpool2d" or "maxpool2d"),
            Stride: Int("stride", false), Padding: Int("padding", false), Momentum: Real("momentum"), Eps: Real("eps"), P: Real("p"));
        s.RejectUnknown(); // before the missing keys, so that a misspelt key is named as such
        if (required.Count > 0) throw s.Missing(required[0]);
        return spec;
    }

    private static int[]? ReadInput(YamlSection r)
    {
        const string expected = "a non-empty list of positive integers such as [64] or [1, 28, 28]";
        var seq = r.List("input", expected);
        if (seq is null) return null;
        if (seq.Children.Count == 0) throw r.Error("input", $"must be {expected}, got an empty list");
        var dims = r.IntList("input")!;
        for (int i = 0; i < dims.Length; i++)
            if (dims[i] <= 0) throw r.ErrorAt(seq.Children[i], $"input[{i}]", $"must be a positive integer, got {dims[i]}");
        return dims;
    }

    private static void RejectDuplicateKeys(YamlSection s)
    {
        var seen = new HashSet<string>();
        foreach (var (k, _) in s.Mapping.Children)
            if (k is YamlScalarNode { Value: { } name } && !seen.Add(name))
                throw s.ErrorAt(k, s.Key(name), "appears twice");
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
                layer = BuildLayer<T>(l, shape);
                shape = layer.OutputShape(shape);
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or OverflowException)
            {
                throw new InvalidDataException($"{Source}:{l.Line}: layers[{i}]: {l.Type}: {e.Message}", e);
            }
            built.Add(layer);
        }
        return new Sequential<T>(Input, built.ToArray());
    }

    /// <summary>
    /// Builds (zero-initialized) the layer <paramref name="l"/> on per-sample input shape <paramref name="shape"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The shape does not fit the layer.</exception>
    /// <exception cref="NotSupportedException">This build cannot construct the type.</exception>
    /// <exception cref="OverflowException">A size overflows.</exception>
    public static Layer<T> BuildLayer<T>(LayerSpec l, int[] shape) where T : unmanaged, IFloatingPointIeee754<T> => l.Type switch
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
}
