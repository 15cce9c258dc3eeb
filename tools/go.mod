module github.com/gokit-workshop/workshop/tools

go 1.26.0
