namespace Gradscope.Data;

/// <summary>One named dataset Gradscope knows: where its files are and how to load it.</summary>
/// <param name="Name">Name used in configs and the CLI ("optdigits-train").</param>
/// <param name="Description">One line for listings.</param>
/// <param name="Samples">Number of samples.</param>
/// <param name="Classes">Number of classes.</param>
/// <param name="SampleShape">Per-sample shape as loaded.</param>
/// <param name="Files">Absolute paths of the files it needs.</param>
/// <param name="Fetched">True for sets downloaded by <c>gradscope data fetch</c> rather than kept in the repository.</param>
/// <param name="Loader">Loads the dataset from <paramref name="Files"/>.</param>
public sealed record DatasetEntry(string Name, string Description, int Samples, int Classes, int[] SampleShape, string[] Files, bool Fetched, Func<Dataset> Loader)
{
    /// <summary>Whether every file exists.</summary>
    public bool IsPresent => Files.All(File.Exists);
}

/// <summary>
/// The named datasets: the ones kept in the repository's data folder ("digits", "breast_cancer", "iris",
/// "wine", "optdigits-train", "optdigits-test", "mnist-test", "kmnist-test") and the fetched ones
/// ("mnist-train", "fashion-mnist-train", "fashion-mnist-test", "cifar10-train", "cifar10-test"), which
/// load once <c>gradscope data fetch</c> has put their files in the fetched folder.
/// </summary>
public sealed class DataRegistry
{
    private readonly Dictionary<string, DatasetEntry> _entries = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A registry over a data folder and a fetched-data folder (default: dataDirectory/fetched).</summary>
    public DataRegistry(string dataDirectory, string? fetchedDirectory = null)
    {
        DataDirectory = Path.GetFullPath(dataDirectory);
        FetchedDirectory = Path.GetFullPath(fetchedDirectory ?? Path.Combine(DataDirectory, "fetched"));
        string D(params string[] p) => Path.Combine([DataDirectory, .. p]);
        string F(params string[] p) => Path.Combine([FetchedDirectory, .. p]);

        Add("digits", "scikit-learn digits 8x8 (= UCI optdigits test set)", 1797, 10, [64], [D("sklearn", "digits.csv.gz")], false,
            f => LabelLastCsv.Read(f[0], 10, 64, name: "digits"));
        Add("breast_cancer", "Breast cancer Wisconsin (diagnostic), 0 = malignant, 1 = benign", 569, 2, [30], [D("sklearn", "breast_cancer.csv")], false,
            f => SklearnCsv.Read(f[0], "breast_cancer"));
        Add("iris", "Iris (Fisher's version)", 150, 3, [4], [D("sklearn", "iris.csv")], false, f => SklearnCsv.Read(f[0], "iris"));
        Add("wine", "Wine recognition", 178, 3, [13], [D("sklearn", "wine_data.csv")], false, f => SklearnCsv.Read(f[0], "wine"));
        Add("optdigits-train", "UCI optdigits training set (30 writers)", 3823, 10, [64], [D("optdigits", "optdigits.tra")], false,
            f => LabelLastCsv.Read(f[0], 10, 64, name: "optdigits-train"));
        Add("optdigits-test", "UCI optdigits test set (13 other writers)", 1797, 10, [64], [D("optdigits", "optdigits.tes")], false,
            f => LabelLastCsv.Read(f[0], 10, 64, name: "optdigits-test"));
        Add("mnist-test", "MNIST test split, pixels / 255", 10000, 10, [1, 28, 28],
            [D("mnist", "t10k-images-idx3-ubyte.gz"), D("mnist", "t10k-labels-idx1-ubyte.gz")], false,
            f => Idx.LoadImagesAndLabels(f[0], f[1], "mnist-test"));
        Add("kmnist-test", "Kuzushiji-MNIST test split, pixels / 255", 10000, 10, [1, 28, 28],
            [D("kmnist", "kmnist-test-imgs.npz"), D("kmnist", "kmnist-test-labels.npz")], false,
            f => Npy.LoadImagesAndLabels(f[0], f[1], "kmnist-test"));

        // Installed uncompressed by PackagedSetFetcher (same bytes from the npm package and the offline collection).
        Add("mnist-train", "MNIST training split (fetched), pixels / 255", 60000, 10, [1, 28, 28],
            [F("mnist", "train-images-idx3-ubyte"), F("mnist", "train-labels-idx1-ubyte")], true,
            f => Idx.LoadImagesAndLabels(f[0], f[1], "mnist-train"));
        Add("fashion-mnist-train", "Fashion-MNIST training split (fetched), pixels / 255", 60000, 10, [1, 28, 28],
            [F("fashion-mnist", "train-images-idx3-ubyte.gz"), F("fashion-mnist", "train-labels-idx1-ubyte.gz")], true,
            f => Idx.LoadImagesAndLabels(f[0], f[1], "fashion-mnist-train"));
        Add("fashion-mnist-test", "Fashion-MNIST test split (fetched), pixels / 255", 10000, 10, [1, 28, 28],
            [F("fashion-mnist", "t10k-images-idx3-ubyte.gz"), F("fashion-mnist", "t10k-labels-idx1-ubyte.gz")], true,
            f => Idx.LoadImagesAndLabels(f[0], f[1], "fashion-mnist-test"));
        Add("cifar10-train", "CIFAR-10 training batches 1-5 (fetched), pixels / 255", 50000, 10, [3, 32, 32],
            Enumerable.Range(1, 5).Select(i => F("cifar10", $"data_batch_{i}.bin")).ToArray(), true,
            f => Cifar10.Load("cifar10-train", f));
        Add("cifar10-test", "CIFAR-10 test batch (fetched), pixels / 255", 10000, 10, [3, 32, 32],
            [F("cifar10", "test_batch.bin")], true, f => Cifar10.Load("cifar10-test", f));
    }

    /// <summary>The registry over the repository's data folder (see <see cref="DataPaths"/>).</summary>
    public static DataRegistry Default() => new(DataPaths.DataDirectory);

    /// <summary>The data folder.</summary>
    public string DataDirectory { get; }
    /// <summary>The folder of fetched datasets.</summary>
    public string FetchedDirectory { get; }
    /// <summary>Every known dataset, in listing order.</summary>
    public IReadOnlyList<DatasetEntry> Entries => _entries.Values.ToList();

    private void Add(string name, string description, int n, int classes, int[] shape, string[] files, bool fetched, Func<string[], Dataset> load)
        => _entries[name] = new DatasetEntry(name, description, n, classes, shape, files, fetched, () => load(files));

    /// <summary>The entry named <paramref name="name"/>; throws KeyNotFoundException listing the known names.</summary>
    public DatasetEntry Find(string name) => _entries.TryGetValue(name, out var e) ? e
        : throw new KeyNotFoundException($"Unknown dataset '{name}'. Known datasets: {string.Join(", ", _entries.Keys)}.");

    /// <summary>
    /// Loads the named dataset. Throws FileNotFoundException naming the missing file (and, for a fetched
    /// set, the <c>gradscope data fetch</c> command that provides it).
    /// </summary>
    public Dataset Load(string name)
    {
        var e = Find(name);
        var missing = e.Files.FirstOrDefault(f => !File.Exists(f));
        if (missing is not null)
            throw new FileNotFoundException(e.Fetched
                ? $"Dataset '{name}' is not downloaded: '{missing}' is missing. Run 'gradscope data fetch {FetchSetOf(name)}'."
                : $"Dataset '{name}': file '{missing}' is missing from the data folder '{DataDirectory}'.", missing);
        var d = e.Loader();
        if (d.N != e.Samples || d.Classes != e.Classes)
            throw new InvalidDataException($"Dataset '{name}': loaded {d.N} samples of {d.Classes} classes, expected {e.Samples} of {e.Classes}.");
        return d;
    }

    /// <summary>The fetch set ("mnist", "fashion-mnist", "cifar10") that provides a fetched dataset name.</summary>
    public static string FetchSetOf(string name) => name.StartsWith("fashion-mnist", StringComparison.OrdinalIgnoreCase) ? "fashion-mnist"
        : name.StartsWith("cifar10", StringComparison.OrdinalIgnoreCase) ? "cifar10" : "mnist";
}
