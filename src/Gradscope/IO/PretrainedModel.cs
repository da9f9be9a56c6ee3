using System.Globalization;

namespace Gradscope.IO;

using Gradscope.Nn;

/// <summary>
/// A network trained elsewhere: a model description (docs/model-format.md) plus a safetensors state_dict, e.g. one
/// saved by <c>safetensors.torch.save_file(model.state_dict(), path)</c> for a PyTorch nn.Sequential (names "0.weight",
/// "2.weight", ...; F32 or F64). Every parameter and batch-norm buffer the description implies must be in the file with
/// the same shape and finite values; a file tensor that no layer uses is an error (PyTorch's integer
/// "num_batches_tracked" of a batch-norm layer is the one tensor accepted and ignored). Errors name the tensor, both
/// shapes, and the layer of the description (index, type, line).
/// </summary>
public static class PretrainedModel
{
    /// <summary>Reads the description and the weights and returns the float64 model in evaluation form; throws InvalidDataException on any mismatch.</summary>
    public static Sequential<double> Load(string modelPath, string weightsPath)
    {
        var spec = ModelSpec.Load(modelPath);
        return Load(spec, SafeTensors.Read(weightsPath), weightsPath);
    }

    /// <summary>Builds <paramref name="spec"/> and fills it from <paramref name="tensors"/> (<paramref name="source"/> names the file in errors).</summary>
    public static Sequential<double> Load(ModelSpec spec, IReadOnlyList<SafeTensor> tensors, string source)
    {
        var model = spec.Build<double>();
        var byName = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (var t in tensors) byName[t.Name] = t;
        var expected = model.NamedParameters.Concat(model.NamedBuffers).ToList();
        var used = new HashSet<string>(StringComparer.Ordinal);

        foreach (var p in expected)
        {
            string fileName = spec.FileName(p.Name);
            var layer = spec.Layers[p.LayerIndex];
            string where = $"the model description '{spec.Source}' (layer {p.LayerIndex}, {layer.Type}, line {layer.Line})";
            if (!byName.TryGetValue(fileName, out var t))
                throw new InvalidDataException($"'{source}': {where} needs tensor '{fileName}' of shape {Shape(p.Value.Shape)}, but the file has no tensor of that name; it has {Listing(tensors)}.");
            if (!t.Shape.AsSpan().SequenceEqual(p.Value.Shape))
                throw new InvalidDataException($"'{source}': tensor '{fileName}' has shape {Shape(t.Shape)} but {where} expects {Shape(p.Value.Shape)}.");
            for (int i = 0; i < t.Data.Length; i++)
                if (!double.IsFinite(t.Data[i]))
                    throw new InvalidDataException($"'{source}': tensor '{fileName}' of shape {Shape(t.Shape)} holds {t.Data[i].ToString(CultureInfo.InvariantCulture)} at index {Index(i, t.Shape)}.");
            used.Add(fileName);
        }
        foreach (var t in tensors)
        {
            if (used.Contains(t.Name) || IsBatchCounter(spec, t.Name)) continue;
            string want = string.Join(", ", expected.Select(p => $"{spec.FileName(p.Name)} {Shape(p.Value.Shape)}"));
            throw new InvalidDataException($"'{source}': tensor '{t.Name}' of shape {Shape(t.Shape)} matches no parameter of the model description '{spec.Source}', which expects {want}.");
        }
        foreach (var p in expected)
        {
            var data = byName[spec.FileName(p.Name)].Data;
            data.AsSpan().CopyTo(p.Value.Span);
        }
        return model;
    }

    // PyTorch's BatchNorm saves an integer step counter beside the running statistics; it plays no part in evaluation.
    private static bool IsBatchCounter(ModelSpec spec, string name)
    {
        const string suffix = ".num_batches_tracked";
        if (!name.EndsWith(suffix, StringComparison.Ordinal)) return false;
        string key = name[..^suffix.Length];
        return spec.Layers.Any(l => l.Type == "batchnorm" && l.Key == key);
    }

    private static string Shape(IReadOnlyList<int> s) => "(" + string.Join(", ", s) + ")";

    private static string Listing(IReadOnlyList<SafeTensor> tensors) =>
        tensors.Count == 0 ? "no tensors" : string.Join(", ", tensors.Select(t => $"{t.Name} {Shape(t.Shape)}"));

    private static string Index(int flat, int[] shape)
    {
        var idx = new int[shape.Length];
        for (int k = shape.Length - 1; k >= 0; k--) { idx[k] = flat % Math.Max(1, shape[k]); flat /= Math.Max(1, shape[k]); }
        return "(" + string.Join(", ", idx) + ")";
    }
}
