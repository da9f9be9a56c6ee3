using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gradscope.Training;

using Gradscope.Data;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>Builds a layer of kind K from its config parameters; register extra kinds with <see cref="TrainerModels.Register"/>.</summary>
public interface ILayerFactory
{
    /// <summary>Creates the layer for per-sample input shape <paramref name="inputShape"/>; reads parameters from <paramref name="options"/>.</summary>
    Layer<T> Create<T>(TrainerOptions options, int[] inputShape) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>
/// Builds the <see cref="Sequential{T}"/> of a config: the MLP shorthand (dense layers of widths
/// [d, h_1, ..., outputs] with the activation between them) or an inline layer list, then
/// initializes it (Nn.Init) from the given generator.
/// </summary>
public static class TrainerModels
{
    private static readonly Dictionary<string, ILayerFactory> Extra = [];

    /// <summary>Registers a layer kind for inline layer lists (e.g. conv2d from the layers library).</summary>
    public static void Register(string kind, ILayerFactory factory)
    {
        lock (Extra) Extra[kind] = factory;
    }

    /// <summary>Builds and initializes the model for <paramref name="data"/>.</summary>
    public static Sequential<T> Build<T>(TrainConfig c, Dataset data, Rng rng) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Sequential<T> model;
        if (c.Model.Mlp is { } mlp)
        {
            if (mlp.Widths[0] != data.D)
                throw c.Error("model.mlp.widths", $"starts with input width {mlp.Widths[0]} but dataset '{data.Name}' has {data.D} features");
            CheckParameterMemory<T>(c, "model.mlp.widths", mlp.Widths.Zip(mlp.Widths.Skip(1), (a, b) => ((long)a, (long)b)));
            var layers = new List<Layer<T>>();
            for (int i = 0; i + 1 < mlp.Widths.Length; i++)
            {
                if (i > 0) layers.Add(mlp.Activation == "identity" ? new Identity<T>() : new Relu<T>());
                layers.Add(new Dense<T>(mlp.Widths[i], mlp.Widths[i + 1], mlp.Bias));
            }
            model = new Sequential<T>(data.SampleShape, layers.ToArray());
        }
        else
        {
            int[] input = c.Model.Input ?? data.SampleShape;
            var shape = input;
            var layers = new List<Layer<T>>();
            var list = c.Model.Layers!;
            for (int i = 0; i < list.Count; i++)
            {
                var o = new TrainerOptions(c, $"model.layers[{i}]", list[i].Params);
                Layer<T> layer;
                try { layer = CreateLayer<T>(c, i, list[i].Kind, o, shape); shape = layer.OutputShape(shape); }
                catch (ArgumentException e) { throw c.Error($"model.layers[{i}]", $"({list[i].Kind}): {e.Message}"); }
                o.RejectUnknown($"layer '{list[i].Kind}'");
                layers.Add(layer);
            }
            try { model = new Sequential<T>(input, layers.ToArray()); }
            catch (ArgumentException e) { throw c.Error("model.layers", e.Message); }
            int per = input.Aggregate(1, (a, b) => a * b);
            if (per != data.D) throw c.Error("model.input", $"has {per} features per sample but dataset '{data.Name}' has {data.D}");
        }
        int outputs = model.Outputs;
        if (outputs == 1 ? data.Classes != 2 : outputs != data.Classes)
            throw c.Error("model", $"has {outputs} outputs but dataset '{data.Name}' has {data.Classes} classes (binary tasks use 1 output, C classes use C)");
        var scheme = c.Model.Init.Scheme switch
        {
            "lecun" => InitScheme.LeCun,
            "gaussian" => InitScheme.Gaussian,
            "pytorch" => InitScheme.PyTorchDefault,
            "orthogonal" => InitScheme.Orthogonal,
            "balanced" => InitScheme.Balanced,
            _ => InitScheme.He,
        };
        try { Init.Apply(model, scheme, rng, c.Model.Init.Scale, c.Model.Init.Std); }
        catch (ArgumentException e) { throw c.Error("model.init", e.Message); }
        return model;
    }

    // Every weight matrix must fit one array, and the parameters with their gradients and up to two optimizer moments
    // (4 copies) must fit the memory limit, before anything is allocated.
    private static void CheckParameterMemory<T>(TrainConfig c, string key, IEnumerable<(long In, long Out)> layers) where T : unmanaged
    {
        long total = 0;
        try
        {
            int k = 0;
            foreach (var (fanIn, fanOut) in layers)
            {
                total = checked(total + MemoryLimit.Elements($"the weight of layer {k++} (out x in)", Unsafe.SizeOf<T>(), fanOut, fanIn) + fanOut);
            }
            MemoryLimit.CheckBytes($"{total} parameters (with gradients and optimizer state)", checked(4 * total * Unsafe.SizeOf<T>()));
        }
        catch (ArgumentException e) { throw c.Error(key, e.Message); }
    }

    /// <summary>Layer kinds built through the model description format (Nn.ModelSpec).</summary>
    public static IReadOnlyList<string> SpecKinds { get; } = ["flatten", "conv2d", "locally_connected2d", "avgpool2d", "maxpool2d", "global_avgpool2d", "batchnorm", "scale_batchnorm", "dropout"];

    /// <summary>Whether inline layers of <paramref name="kind"/> are read and built by the model description format's
    /// layer reader (<see cref="ModelSpec.ReadLayer"/>): a kind of <see cref="SpecKinds"/> no library has registered.</summary>
    public static bool IsSpecKind(string kind)
    {
        lock (Extra) if (Extra.ContainsKey(kind)) return false;
        return SpecKinds.Contains(kind);
    }

    // Builds one layer by the model description format's layer reader, so that inline lists accept every kind (and key)
    // that format does, with errors "where: model.layers[i].key: message" (the parameters as mapping nodes located where
    // the config wrote them; a config built in code is named by its source).
    private static Layer<T> FromModelSpec<T>(TrainConfig c, int i, string kind, TrainerOptions o, int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string path = $"model.layers[{i}]";
        var layer = c.Model.Layers![i];
        if (layer.Params.ContainsKey("key")) throw o.Error("key", "is not supported in run configs (parameters are named by layer index)");
        foreach (var k in layer.Params.Keys) o.String(k); // read (and checked) by ModelSpec.ReadLayer
        var origins = new IO.YamlOrigins(c.Source ?? "config");
        string at = c.Locations.TryGetValue(path, out var w) ? w : origins.Source;
        var map = new YamlDotNet.RepresentationModel.YamlMappingNode();
        foreach (var (k, v) in layer.Params)
        {
            var (kn, vn) = (new YamlDotNet.RepresentationModel.YamlScalarNode(k), new YamlDotNet.RepresentationModel.YamlScalarNode(v));
            string where = c.Locations.TryGetValue($"{path}.{k}", out var kw) ? kw : at;
            origins.Mark(kn, where); origins.Mark(vn, where);
            map.Add(kn, vn);
        }
        origins.Mark(map, at);
        var spec = ModelSpec.ReadLayer(new IO.YamlSection(origins, path, map, m => new TrainConfigException(m)), kind, i.ToString(System.Globalization.CultureInfo.InvariantCulture), 0);
        try { return ModelSpec.BuildLayer<T>(spec, shape); }
        catch (Exception e) when (e is NotSupportedException or OverflowException) { throw c.Error(path, $"({kind}): {e.Message}"); }
    }

    private static Layer<T> CreateLayer<T>(TrainConfig c, int i, string kind, TrainerOptions o, int[] shape) where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (kind)
        {
            case "dense":
            case "linear":
                {
                    int inFeatures = shape.Aggregate(1, (a, b) => a * b);
                    int declared = o.Int("in", inFeatures, 1);
                    if (declared != inFeatures) throw o.Error("in", $"is {declared} but the previous layer gives {inFeatures} features");
                    int outFeatures = o.Int("out", -1) is int outF and >= 1 ? outF : throw o.Error("out", "must be given as an integer >= 1");
                    CheckParameterMemory<T>(c, $"model.layers[{i}].out", [(inFeatures, outFeatures)]);
                    return new Dense<T>(inFeatures, outFeatures, o.Bool("bias", false));
                }
            case "relu": return new Relu<T>();
            case "identity": return new Identity<T>();
        }
        ILayerFactory? f;
        lock (Extra) Extra.TryGetValue(kind, out f);
        if (f is null && SpecKinds.Contains(kind)) return FromModelSpec<T>(c, i, kind, o, shape);
        if (f is null)
            throw c.Error($"model.layers[{i}]", $"has unknown layer type '{kind}' (known: dense, relu, identity, {string.Join(", ", SpecKinds)}{(Extra.Count > 0 ? ", " + string.Join(", ", Extra.Keys.Order()) : "")})");
        return f.Create<T>(o, shape);
    }
}
