// Command cleanup removes old files.
//
// <crontab>
//     time: @daily
//     package: tools
//     mailto: ""
//     comment: nightly cleanup; % in the comment is left alone
//     params: --older-than 30d --pattern '*.tmp'
// </crontab>
package main

func main() {}
