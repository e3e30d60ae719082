using Kargo.Offline;

return await OfflineCli.RunAsync(args, Console.Out, Console.Error);
