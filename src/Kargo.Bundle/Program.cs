using Kargo.Bundle;

return await BundleCli.RunAsync(args, Console.Out, Console.Error);
