using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Nn;

namespace Gradscope.Cli;

/// <summary>
/// The large arrays of <c>gradscope measure</c>, written as .npy files beside the JSON (named OUT-STEM.KEY.npy) and
/// named in its "arrays" object: per-layer singular values (--spectra) and the network outputs and margins of every
/// training (and test) sample in data-row order (--outputs).
/// </summary>
internal static class MeasureArrays
{
    /// <summary>The .npy path of array <paramref name="key"/> beside <paramref name="jsonPath"/>.</summary>
    public static string PathFor(string jsonPath, string key) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(jsonPath))!, Path.GetFileNameWithoutExtension(jsonPath) + "." + key + ".npy");

    /// <summary>
    /// Writes the requested arrays and returns key -&gt; file name (relative to the JSON's folder). Layers whose explicit
    /// operator is too large for a full SVD are reported in <paramref name="omitted"/>.
    /// </summary>
    public static Dictionary<string, string> Write(string jsonPath, Sequential<double> net, Dataset train, Dataset? test, bool spectra, bool outputs, Dictionary<string, string> omitted)
    {
        var files = new Dictionary<string, string>();
        void Save(string key, int[] shape, double[] data)
        {
            string path = PathFor(jsonPath, key);
            Npy.Write(path, shape, data);
            files[key] = Path.GetFileName(path);
        }
        if (spectra)
        {
            var ops = LayerOperator.Of(net);
            for (int k = 0; k < ops.Count; k++)
            {
                if (!ops[k].IsKernelMatrix)
                {
                    var ks = SingularSpectrum.Of(ops[k].Kernel);
                    Save($"layer.{k}.kernel_singular_values", [ks.Length], ks);
                    if (!ops[k].SpectrumAffordable)
                    {
                        omitted[$"layer.{k}.singular_values"] = $"the {ops[k].Kind} operator is {ops[k].Rows} x {ops[k].Cols}: its explicit spectrum exceeds {LayerOperator.MaxSpectrumEntries} entries or {LayerOperator.MaxSpectrumWork:G2} multiply-adds";
                        continue;
                    }
                }
                var s = SingularSpectrum.Of(ops[k].ToMatrix());
                Save($"layer.{k}.singular_values", [s.Length], s);
            }
        }
        if (outputs)
        {
            foreach (var (name, data) in new[] { ("train", train), ("test", test) })
            {
                if (data is null) continue;
                var z = ModelEval.Outputs(net, data);
                Save($"{name}.outputs", [data.N, net.Outputs], z);
                Save($"{name}.margins", [data.N], Margins.Raw(z, data.Y));
            }
        }
        return files;
    }
}
